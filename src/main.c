// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-iommu-iova: a VFIO type1-compatible IOMMU backend that keeps and
 * enforces the valid IOVA ranges of each container.
 *
 * This file registers the backend with the vfio core and owns the
 * container lifetime.
 */

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "internal.h"

static void *vfio_iova_open(unsigned long arg)
{
	struct vfio_iova_container *c;

	if (arg != VFIO_TYPE1_IOMMU && arg != VFIO_TYPE1v2_IOMMU)
		return ERR_PTR(-EINVAL);

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return ERR_PTR(-ENOMEM);
	mutex_init(&c->lock);
	INIT_LIST_HEAD(&c->groups);
	c->v2 = arg == VFIO_TYPE1v2_IOMMU;
	return c;
}

static void vfio_iova_release(void *data)
{
	struct vfio_iova_container *c = data;
	struct vfio_iova_group *g, *tmp;

	list_for_each_entry_safe(g, tmp, &c->groups, next) {
		list_del(&g->next);
		kfree(g);
	}
	mutex_destroy(&c->lock);
	kfree(c);
}

static long vfio_iova_check_extension(unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
		return 1;
	default:
		return 0;
	}
}

static long vfio_iova_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return vfio_iova_check_extension(arg);
	default:
		return -ENOTTY;
	}
}

static struct vfio_iova_group *
vfio_iova_find_group(struct vfio_iova_container *c, struct iommu_group *ig)
{
	struct vfio_iova_group *g;

	list_for_each_entry(g, &c->groups, next)
		if (g->iommu_group == ig)
			return g;
	return NULL;
}

static int vfio_iova_attach_group(void *data, struct iommu_group *ig,
				  enum vfio_group_type type)
{
	struct vfio_iova_container *c = data;
	struct vfio_iova_group *g;
	int ret = 0;

	mutex_lock(&c->lock);
	if (vfio_iova_find_group(c, ig)) {
		ret = -EINVAL;
		goto out;
	}
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g) {
		ret = -ENOMEM;
		goto out;
	}
	g->iommu_group = ig;
	list_add_tail(&g->next, &c->groups);
out:
	mutex_unlock(&c->lock);
	return ret;
}

static void vfio_iova_detach_group(void *data, struct iommu_group *ig)
{
	struct vfio_iova_container *c = data;
	struct vfio_iova_group *g;

	mutex_lock(&c->lock);
	g = vfio_iova_find_group(c, ig);
	if (g) {
		list_del(&g->next);
		kfree(g);
	}
	mutex_unlock(&c->lock);
}

static const struct vfio_iommu_driver_ops vfio_iova_ops = {
	.name		= VFIO_IOVA_NAME,
	.owner		= THIS_MODULE,
	.open		= vfio_iova_open,
	.release	= vfio_iova_release,
	.ioctl		= vfio_iova_ioctl,
	.attach_group	= vfio_iova_attach_group,
	.detach_group	= vfio_iova_detach_group,
};

static int __init vfio_iova_init(void)
{
	int ret;

	ret = vfio_register_iommu_driver(&vfio_iova_ops);
	if (ret) {
		pr_err("registration with the vfio core failed: %d\n", ret);
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
}

module_init(vfio_iova_init);
module_exit(vfio_iova_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO type1 IOMMU backend that manages valid IOVA ranges");
MODULE_INFO(layout, VFIO_IOVA_LAYOUT_NAME " (" VFIO_IOVA_LAYOUT_METHOD ", "
	    VFIO_IOVA_LAYOUT_KERNEL ")");
