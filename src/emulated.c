// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated IOMMU users (mdev and other vfio_register_emulated_iommu_dev()
 * drivers): they pin pages of the container's mappings and read or write
 * them through the CPU instead of DMA.
 *
 * Each mapping keeps the pages they pinned in a refcounted tree
 * (dma->vpfns).  Before a mapping with such pins can be unmapped, every
 * registered device is told (its dma_unmap callback) so its driver drops
 * the pins; the callback runs with the container lock dropped, because the
 * driver calls back into vfio_iova_unpin_pages().
 */
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "internal.h"

/* How often an unmap asks the drivers before it gives up. */
#define VFIO_IOVA_NOTIFY_RETRIES 10

struct vfio_iova_vpfn *vfio_iova_find_vpfn(struct vfio_iova_dma *dma, u64 iova)
{
	struct rb_node *n = dma->vpfns.rb_node;

	while (n) {
		struct vfio_iova_vpfn *v = rb_entry(n, struct vfio_iova_vpfn, node);

		if (iova < v->iova)
			n = n->rb_left;
		else if (iova > v->iova)
			n = n->rb_right;
		else
			return v;
	}
	return NULL;
}

static void vfio_iova_link_vpfn(struct vfio_iova_dma *dma, struct vfio_iova_vpfn *new)
{
	struct rb_node **link = &dma->vpfns.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (new->iova < rb_entry(parent, struct vfio_iova_vpfn, node)->iova)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &dma->vpfns);
}

/*
 * Drop one pin of @v; the last one unpins the page and, if no domain holds
 * it (@charged), uncharges it.
 */
static void vfio_iova_put_vpfn(struct vfio_iova_container *c, struct vfio_iova_dma *dma,
			       struct vfio_iova_vpfn *v, bool charged)
{
	if (--v->ref)
		return;
	rb_erase(&v->node, &dma->vpfns);
	if (charged && vfio_iova_pfn_normal(v->pfn))
		vfio_iova_account(c, dma, -1);
	vfio_iova_put_pfn(v->pfn, dma->prot);
	kfree(v);
}

/* The mapping goes: whatever the users still pin is released. */
void vfio_iova_put_all_vpfns(struct vfio_iova_container *c, struct vfio_iova_dma *dma)
{
	bool charged = !vfio_iova_has_domain(c);
	struct rb_node *n;

	while ((n = rb_first(&dma->vpfns))) {
		struct vfio_iova_vpfn *v = rb_entry(n, struct vfio_iova_vpfn, node);

		v->ref = 1;
		vfio_iova_put_vpfn(c, dma, v, charged);
	}
}

/* Do @npage (> 0) pages from @iova run past the top of the address space? */
static bool vfio_iova_pages_wrap(dma_addr_t iova, int npage)
{
	u64 last;

	return check_add_overflow((u64)iova, ((u64)npage << PAGE_SHIFT) - 1, &last);
}

/* The mapping that holds the page at @iova, if all of the page is mapped. */
static struct vfio_iova_dma *vfio_iova_page_dma(struct vfio_iova_container *c, u64 iova)
{
	return vfio_iova_find_dma(c, iova, iova + PAGE_SIZE - 1);
}

static void vfio_iova_unpin_locked(struct vfio_iova_container *c, dma_addr_t iova, int npage)
{
	bool charged = !vfio_iova_has_domain(c);
	int i;

	for (i = 0; i < npage; i++) {
		u64 page = iova + ((u64)i << PAGE_SHIFT);
		struct vfio_iova_dma *dma = vfio_iova_page_dma(c, page);
		struct vfio_iova_vpfn *v;

		if (!dma)
			break;
		v = vfio_iova_find_vpfn(dma, page);
		if (v)
			vfio_iova_put_vpfn(c, dma, v, charged);
	}
	WARN_ON(i != npage);
}

/* A group that pins pages dirties only what it pins. */
static void vfio_iova_dirty_scope(struct vfio_iova_container *c, struct iommu_group *ig)
{
	struct vfio_iova_domain *d;
	struct vfio_iova_group *g = vfio_iova_find_group(c, ig, &d);

	if (g && !g->pinned_page_dirty_scope) {
		g->pinned_page_dirty_scope = true;
		c->num_non_pinned_groups--;
	}
}

int vfio_iova_pin_pages(void *data, struct iommu_group *group, dma_addr_t iova,
			int npage, int prot, struct page **pages)
{
	struct vfio_iova_container *c = data;
	bool charge;
	int i, ret;

	if (!c)
		return -EINVAL;
	if (!pages || npage <= 0)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"%d pages at %#llx", npage, (u64)iova);
	if (!c->v2)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, -EACCES, VFIO_IOVA_WHY_STATE,
					"pinning needs a type1v2 container");
	/* A page may be mapped at the top: never wrap to IOVA 0 (as mainline). */
	if (vfio_iova_pages_wrap(iova, npage))
		return vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, -EOVERFLOW, VFIO_IOVA_WHY_WRAPS,
					"%d pages at %#llx wrap", npage, (u64)iova);

	mutex_lock(&c->lock);
	/* Live update in progress: the user memory is not reachable. */
	if (c->vaddr_invalid_count) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, -EBUSY, VFIO_IOVA_WHY_STATE,
				       "live update in progress: %u mappings have no vaddr",
				       c->vaddr_invalid_count);
		goto out;
	}
	/* Only drivers that can be told to drop their pins may pin. */
	if (!READ_ONCE(c->nr_devices)) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, -EINVAL, VFIO_IOVA_WHY_STATE,
				       "no device of the container can be told to unpin");
		goto out;
	}
	/* With a domain, its own pins already charge these pages. */
	charge = !vfio_iova_has_domain(c);
	for (i = 0; i < npage; i++) {
		u64 page = iova + ((u64)i << PAGE_SHIFT);
		struct vfio_iova_dma *dma = vfio_iova_page_dma(c, page);
		struct vfio_iova_vpfn *v;
		unsigned long pfn;
		struct page *p;
		long n;

		if (!dma) {
			ret = vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, -EINVAL,
					       VFIO_IOVA_WHY_NOT_MAPPED,
					       "IOVA %#llx is not mapped", page);
			goto unwind;
		}
		if ((dma->prot & prot) != prot) {
			ret = vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, -EPERM,
					       VFIO_IOVA_WHY_PERMISSION,
					       "IOVA %#llx: mapping [%#llx-%#llx] is not %s",
					       page, dma->iova, vfio_iova_dma_last(dma),
					       prot & ~dma->prot & IOMMU_WRITE ? "writable" :
					       "readable");
			goto unwind;
		}
		v = vfio_iova_find_vpfn(dma, page);
		if (v) {
			v->ref++;
			pages[i] = pfn_to_page(v->pfn);
			continue;
		}
		n = vfio_iova_pin(dma, dma->vaddr + (page - dma->iova), 1, &p, &pfn, false);
		if (n != 1) {
			ret = vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, n < 0 ? n : -EFAULT,
					       VFIO_IOVA_WHY_PIN,
					       "IOVA %#llx: vaddr %#llx could not be pinned (%pe)",
					       page, dma->vaddr + (page - dma->iova),
					       ERR_PTR(n < 0 ? n : -EFAULT));
			goto unwind;
		}
		if (p)
			pfn = page_to_pfn(p);
		if (!pfn_valid(pfn)) {
			vfio_iova_put_pfn(pfn, dma->prot);
			ret = vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, -EINVAL, VFIO_IOVA_WHY_PIN,
					       "IOVA %#llx is device memory, without a struct page",
					       page);
			goto unwind;
		}
		v = VFIO_IOVA_INJECT(kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT), NULL);
		ret = v ? 0 : vfio_iova_refuse(c, VFIO_IOVA_OP_PIN, -ENOMEM,
					       VFIO_IOVA_WHY_NO_MEMORY, "no memory for a pin");
		if (!ret && charge && vfio_iova_pfn_normal(pfn)) {
			ret = vfio_iova_account(c, dma, 1);
			if (ret)
				vfio_iova_refuse_memlock(c, VFIO_IOVA_OP_PIN, ret, dma->mm,
							 dma->task, 1);
		}
		if (ret) {
			kfree(v);
			vfio_iova_put_pfn(pfn, dma->prot);
			goto unwind;
		}
		v->iova = page;
		v->pfn = pfn;
		v->ref = 1;
		vfio_iova_link_vpfn(dma, v);
		vfio_iova_mark_dirty(c, dma, page, PAGE_SIZE);
		pages[i] = pfn_to_page(pfn);
	}
	ret = npage;
	vfio_iova_dirty_scope(c, group);
	goto out;
unwind:
	pages[i] = NULL;
	vfio_iova_unpin_locked(c, iova, i);
	while (i--)
		pages[i] = NULL;
out:
	mutex_unlock(&c->lock);
	return ret;
}

void vfio_iova_unpin_pages(void *data, dma_addr_t iova, int npage)
{
	struct vfio_iova_container *c = data;

	if (WARN_ON(!c->v2) || WARN_ON(npage <= 0) || WARN_ON(vfio_iova_pages_wrap(iova, npage)))
		return;
	mutex_lock(&c->lock);
	vfio_iova_unpin_locked(c, iova, npage);
	mutex_unlock(&c->lock);
}

/* One piece of a dma_rw, within one mapping; *@done is how much. */
static int vfio_iova_rw_chunk(struct vfio_iova_container *c, u64 iova, void *buf,
			      size_t count, bool write, size_t *done)
{
	struct vfio_iova_dma *dma = vfio_iova_find_dma(c, iova, iova);
	bool kthread = !current->mm;
	unsigned long vaddr;
	u64 offset;

	*done = 0;
	if (!dma)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DMA_RW, -EINVAL, VFIO_IOVA_WHY_NOT_MAPPED,
					"IOVA %#llx is not mapped", iova);
	if ((write && !(dma->prot & IOMMU_WRITE)) || !(dma->prot & IOMMU_READ))
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DMA_RW, -EPERM, VFIO_IOVA_WHY_PERMISSION,
					"IOVA %#llx: mapping [%#llx-%#llx] is not %s", iova,
					dma->iova, vfio_iova_dma_last(dma),
					!(dma->prot & IOMMU_READ) ? "readable" : "writable");
	if (!mmget_not_zero(dma->mm))
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DMA_RW, -EPERM, VFIO_IOVA_WHY_STATE,
					"IOVA %#llx: the process that mapped it has exited", iova);
	if (kthread)
		kthread_use_mm(dma->mm);
	else if (current->mm != dma->mm)
		goto out;

	offset = iova - dma->iova;
	count = min_t(u64, count, dma->size - offset);
	vaddr = dma->vaddr + offset;
	if (write) {
		*done = copy_to_user((void __user *)vaddr, buf, count) ? 0 : count;
		vfio_iova_mark_dirty(c, dma, iova, *done);
	} else {
		*done = copy_from_user(buf, (void __user *)vaddr, count) ? 0 : count;
	}
	if (kthread)
		kthread_unuse_mm(dma->mm);
out:
	mmput(dma->mm);
	if (*done)
		return 0;
	return vfio_iova_refuse(c, VFIO_IOVA_OP_DMA_RW, -EFAULT, VFIO_IOVA_WHY_PIN,
				"IOVA %#llx: %s", iova, !kthread && current->mm != dma->mm ?
				"the caller is not the process that mapped it" :
				"its user memory cannot be reached");
}

int vfio_iova_dma_rw(void *data, dma_addr_t iova, void *buf, size_t count, bool write)
{
	struct vfio_iova_container *c = data;
	size_t done;
	int ret = 0;

	mutex_lock(&c->lock);
	if (c->vaddr_invalid_count)
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_DMA_RW, -EBUSY, VFIO_IOVA_WHY_STATE,
				       "live update in progress: %u mappings have no vaddr",
				       c->vaddr_invalid_count);
	while (count && !ret) {
		ret = vfio_iova_rw_chunk(c, iova, buf, count, write, &done);
		if (ret)
			break;
		count -= done;
		buf += done;
		iova += done;
	}
	mutex_unlock(&c->lock);
	return ret;
}

void vfio_iova_register_device(void *data, struct vfio_device *vdev)
{
	struct vfio_iova_container *c = data;

	if (!vdev->ops->dma_unmap)
		return;
	mutex_lock(&c->devices_lock);
	list_add(&vdev->iommu_entry, &c->devices);
	WRITE_ONCE(c->nr_devices, c->nr_devices + 1);
	mutex_unlock(&c->devices_lock);
}

void vfio_iova_unregister_device(void *data, struct vfio_device *vdev)
{
	struct vfio_iova_container *c = data;

	if (!vdev->ops->dma_unmap)
		return;
	mutex_lock(&c->devices_lock);
	list_del(&vdev->iommu_entry);
	WRITE_ONCE(c->nr_devices, c->nr_devices - 1);
	mutex_unlock(&c->devices_lock);
}

/*
 * @dma is about to be unmapped but emulated users still pin pages of it:
 * ask every device to drop them.  Called with the container lock held; it
 * is dropped meanwhile, so the caller must look the mapping up again.
 * Returns -EBUSY if the drivers keep their pins after several requests.
 */
int vfio_iova_notify_unmap(struct vfio_iova_container *c, struct vfio_iova_dma *dma)
{
	u64 iova = dma->iova, size = dma->size;
	struct vfio_device *vdev;
	unsigned int tries;

	for (tries = 0; tries < VFIO_IOVA_NOTIFY_RETRIES; tries++) {
		mutex_unlock(&c->lock);
		mutex_lock(&c->devices_lock);
		list_for_each_entry(vdev, &c->devices, iommu_entry)
			vdev->ops->dma_unmap(vdev, iova, size);
		mutex_unlock(&c->devices_lock);
		mutex_lock(&c->lock);

		dma = vfio_iova_find_dma(c, iova, iova + size - 1);
		if (!dma || RB_EMPTY_ROOT(&dma->vpfns))
			return 0;
	}
	return vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EBUSY, VFIO_IOVA_WHY_STATE,
				"emulated devices keep pages of mapping [%#llx-%#llx] pinned",
				iova, iova + size - 1);
}
