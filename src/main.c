// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-iommu-iova: a VFIO type1-compatible IOMMU backend that keeps and
 * enforces the valid IOVA ranges of each container.
 *
 * This file registers the backend with the vfio core, owns the container
 * lifetime and the module parameters.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "internal.h"

bool vfio_iova_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, vfio_iova_allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Allow groups whose MSIs are not isolated (no interrupt remapping); unsafe.");

bool vfio_iova_disable_hugepages;
module_param_named(disable_hugepages, vfio_iova_disable_hugepages, bool, 0644);
MODULE_PARM_DESC(disable_hugepages,
		 "Map every page separately instead of in the largest contiguous runs.");

unsigned int vfio_iova_dma_entry_limit __read_mostly = U16_MAX;
module_param_named(dma_entry_limit, vfio_iova_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Maximum number of user DMA mappings per container (65535).");

bool vfio_iova_serve_type1 = true;
module_param_named(serve_type1, vfio_iova_serve_type1, bool, 0644);
MODULE_PARM_DESC(serve_type1,
		 "Serve new VFIO_TYPE1_IOMMU containers; N leaves them to another backend (Y).");

bool vfio_iova_serve_type1v2 = true;
module_param_named(serve_type1v2, vfio_iova_serve_type1v2, bool, 0644);
MODULE_PARM_DESC(serve_type1v2,
		 "Serve new VFIO_TYPE1v2_IOMMU (and nesting) containers; N leaves them to another backend (Y).");

bool vfio_iova_reuse_domains = true;
module_param_named(reuse_domains, vfio_iova_reuse_domains, bool, 0644);
MODULE_PARM_DESC(reuse_domains,
		 "Let a group join a compatible existing IOMMU domain; N gives each its own (Y; N for testing).");

/* Protects vfio_iova_containers and vfio_iova_next_id. */
DEFINE_MUTEX(vfio_iova_list_lock);
LIST_HEAD(vfio_iova_containers);
static unsigned int vfio_iova_next_id;

static void *vfio_iova_open(unsigned long arg)
{
	struct vfio_iova_container *c;

	switch (arg) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_IOVA_TYPE1_NESTING:
		break;
	default:
		return ERR_PTR(-EINVAL);
	}

	c = VFIO_IOVA_INJECT(kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT), NULL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	refcount_set(&c->users, 1);
	mutex_init(&c->devices_lock);
	INIT_LIST_HEAD(&c->devices);
	mutex_init(&c->lock);
	INIT_LIST_HEAD(&c->domains);
	INIT_LIST_HEAD(&c->emulated);
	c->dmas = RB_ROOT;
	c->dma_avail = vfio_iova_dma_entry_limit;
	iova_ranges_init(&c->valid);
	c->pgsize_bitmap = PAGE_MASK;
	c->nesting = VFIO_IOVA_SERVES_NESTING && arg == VFIO_IOVA_TYPE1_NESTING;
	c->v2 = arg != VFIO_TYPE1_IOMMU;
	vfio_iova_refusals_init(c);
	c->owner_pid = task_tgid_nr(current);
	get_task_comm(c->owner_comm, current);

	mutex_lock(&vfio_iova_list_lock);
	c->id = ++vfio_iova_next_id;
	list_add_tail(&c->all, &vfio_iova_containers);
	vfio_iova_debugfs_add(c);
	mutex_unlock(&vfio_iova_list_lock);
	return c;
}

/*
 * A reference for one ioctl, unless the container is being freed.  The
 * caller's pointer may come from before .release: the container's memory
 * outlives the last reference by an RCU grace period, and the vfio core
 * loads the pointer and calls us without sleeping in between.
 */
bool vfio_iova_container_get(struct vfio_iova_container *c)
{
	bool ok;

	rcu_read_lock();
	ok = refcount_inc_not_zero(&c->users);
	rcu_read_unlock();
	return ok;
}

void vfio_iova_container_put(struct vfio_iova_container *c)
{
	struct vfio_iova_group *g, *tmp;

	if (!refcount_dec_and_test(&c->users))
		return;
	mutex_lock(&vfio_iova_list_lock);
	list_del(&c->all);
	mutex_unlock(&vfio_iova_list_lock);
	/* Waits for readers of the container's files to finish. */
	vfio_iova_debugfs_remove(c);

	/* Mappings first: unpinning reads the physical pages from a domain. */
	vfio_iova_remove_all(c);
	vfio_iova_release_domains(c);
	list_for_each_entry_safe(g, tmp, &c->emulated, next) {
		list_del(&g->next);
		kfree(g->resv);
		kfree(g);
	}
	iova_ranges_free(&c->valid);
	mutex_destroy(&c->lock);
	mutex_destroy(&c->devices_lock);
	kfree_rcu(c, rcu);
	module_put(THIS_MODULE);	/* taken in vfio_iova_release() */
}

static void vfio_iova_release(void *data)
{
	/*
	 * The core drops its module reference when we return, but an ioctl
	 * may still be running here: the last put drops this one.
	 */
	__module_get(THIS_MODULE);
	vfio_iova_container_put(data);
}

static const struct vfio_iommu_driver_ops vfio_iova_ops = {
	.name		= VFIO_IOVA_NAME,
	.owner		= THIS_MODULE,
	.open		= vfio_iova_open,
	.release	= vfio_iova_release,
	.ioctl		= vfio_iova_ioctl,
	.attach_group	= vfio_iova_attach_group,
	.detach_group	= vfio_iova_detach_group,
	.pin_pages	= vfio_iova_pin_pages,
	.unpin_pages	= vfio_iova_unpin_pages,
	.register_device = vfio_iova_register_device,
	.unregister_device = vfio_iova_unregister_device,
	.dma_rw		= vfio_iova_dma_rw,
	.group_iommu_domain = vfio_iova_group_iommu_domain,
};

static int __init vfio_iova_init(void)
{
	int ret;

	vfio_iova_debugfs_init();
	ret = vfio_register_iommu_driver(&vfio_iova_ops);
	if (ret) {
		pr_err("registration with the vfio core failed: %d\n", ret);
		vfio_iova_debugfs_exit();
		return ret;
	}
	pr_info("registered (private layout %s, verified from %s for %s)\n",
		VFIO_IOVA_LAYOUT_NAME, VFIO_IOVA_LAYOUT_METHOD,
		VFIO_IOVA_LAYOUT_KERNEL);
	return 0;
}

static void __exit vfio_iova_exit(void)
{
	vfio_unregister_iommu_driver(&vfio_iova_ops);
	vfio_iova_debugfs_exit();
}

module_init(vfio_iova_init);
module_exit(vfio_iova_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO type1 IOMMU backend that manages valid IOVA ranges");
MODULE_INFO(layout, VFIO_IOVA_LAYOUT_NAME " (" VFIO_IOVA_LAYOUT_METHOD ", "
	    VFIO_IOVA_LAYOUT_KERNEL ")");
