// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page tracking for migration (VFIO_IOMMU_DIRTY_PAGES and unmap with
 * VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP), as the stock backend does it.
 *
 * While tracking, every mapping has a bitmap, one bit per page of the
 * smallest IOMMU page size.  Emulated users mark the pages they pin or
 * write.  A group that can DMA directly and has not declared its dirty
 * scope by pinning pages ("non-pinned") makes every mapped page dirty.
 * Reading a range's bitmap resets it to the pages still pinned.
 *
 * All functions are called with the container lock held.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

int vfio_iova_bitmap_alloc(struct vfio_iova_container *c, struct vfio_iova_dma *dma)
{
	u64 npages = dma->size >> vfio_iova_pgshift(c);
	size_t bytes;

	if (npages > VFIO_IOVA_DIRTY_PAGES_MAX)
		return -EINVAL;
	/* One u64 more: room to shift bits into place for the user. */
	bytes = VFIO_IOVA_DIRTY_BYTES(npages) + sizeof(u64);
	dma->bitmap = VFIO_IOVA_INJECT(kvzalloc(bytes, GFP_KERNEL), NULL);
	return dma->bitmap ? 0 : -ENOMEM;
}

void vfio_iova_bitmap_free(struct vfio_iova_dma *dma)
{
	kvfree(dma->bitmap);
	dma->bitmap = NULL;
}

/* Mark [iova, iova + len) of @dma dirty, if tracking. */
void vfio_iova_mark_dirty(struct vfio_iova_container *c, struct vfio_iova_dma *dma,
			  u64 iova, u64 len)
{
	unsigned int shift = vfio_iova_pgshift(c);
	u64 first, last;

	if (!c->dirty_tracking || !len)
		return;
	first = (iova - dma->iova) >> shift;
	last = (iova - dma->iova + len - 1) >> shift;
	bitmap_set(dma->bitmap, first, last - first + 1);
}

/* The pages emulated users still pin are dirty. */
static void vfio_iova_populate(struct vfio_iova_container *c, struct vfio_iova_dma *dma)
{
	struct rb_node *n;

	for (n = rb_first(&dma->vpfns); n; n = rb_next(n))
		vfio_iova_mark_dirty(c, dma, rb_entry(n, struct vfio_iova_vpfn, node)->iova,
				     PAGE_SIZE);
}

/* A group without a dirty scope left: everything mapped may be dirty. */
void vfio_iova_dirty_all(struct vfio_iova_container *c)
{
	struct rb_node *n;

	if (!c->dirty_tracking)
		return;
	for (n = rb_first(&c->dmas); n; n = rb_next(n)) {
		struct vfio_iova_dma *dma = rb_entry(n, struct vfio_iova_dma, node);

		bitmap_set(dma->bitmap, 0, dma->size >> vfio_iova_pgshift(c));
	}
}

int vfio_iova_dirty_start(struct vfio_iova_container *c)
{
	struct rb_node *n;
	int ret;

	if (c->dirty_tracking)
		return 0;
	for (n = rb_first(&c->dmas); n; n = rb_next(n)) {
		struct vfio_iova_dma *dma = rb_entry(n, struct vfio_iova_dma, node);

		ret = vfio_iova_bitmap_alloc(c, dma);
		if (ret) {
			vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, ret, ret == -ENOMEM ?
					 VFIO_IOVA_WHY_NO_MEMORY : VFIO_IOVA_WHY_ARGUMENT,
					 "no dirty bitmap for mapping [%#llx-%#llx]", dma->iova,
					 vfio_iova_dma_last(dma));
			while ((n = rb_prev(n)))
				vfio_iova_bitmap_free(rb_entry(n, struct vfio_iova_dma, node));
			return ret;
		}
	}
	c->dirty_tracking = true;
	/* Pages emulated users pin now may be written before they unpin. */
	for (n = rb_first(&c->dmas); n; n = rb_next(n))
		vfio_iova_populate(c, rb_entry(n, struct vfio_iova_dma, node));
	return 0;
}

void vfio_iova_dirty_stop(struct vfio_iova_container *c)
{
	struct rb_node *n;

	if (!c->dirty_tracking)
		return;
	c->dirty_tracking = false;
	for (n = rb_first(&c->dmas); n; n = rb_next(n))
		vfio_iova_bitmap_free(rb_entry(n, struct vfio_iova_dma, node));
	/* The smallest page size may shrink again (see vfio_iova_update_pgsizes()). */
	vfio_iova_update_pgsizes(c);
}

/*
 * Copy @dma's bits into the user's bitmap for a range starting at @base:
 * its first bit goes to bit (dma->iova - base) / pgsize.  The bitmap is
 * shifted in place so it lines up with the user's u64 words, and the bits
 * of the word it shares with the previous mapping are kept.
 */
int vfio_iova_copy_dirty(struct vfio_iova_container *c, struct vfio_iova_dma *dma,
			 u64 __user *ubitmap, u64 base)
{
	unsigned int pgshift = vfio_iova_pgshift(c);
	unsigned long nbits = dma->size >> pgshift;
	unsigned long bit = (dma->iova - base) >> pgshift;
	unsigned long word = bit / 64, shift = bit % 64;
	u64 leftover;

	if (c->num_non_pinned_groups && dma->iommu_mapped)
		bitmap_set(dma->bitmap, 0, nbits);
	if (shift) {
		bitmap_shift_left(dma->bitmap, dma->bitmap, shift, nbits + shift);
		if (copy_from_user(&leftover, ubitmap + word, sizeof(leftover)))
			return -EFAULT;
		bitmap_or(dma->bitmap, dma->bitmap, (unsigned long *)&leftover, shift);
	}
	if (copy_to_user(ubitmap + word, dma->bitmap, VFIO_IOVA_DIRTY_BYTES(nbits + shift)))
		return -EFAULT;
	return 0;
}

/*
 * VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP for [iova, iova + size): the range
 * must not split a mapping.  Each mapping's bits are then reset to the
 * pages still pinned.
 */
int vfio_iova_dirty_get(struct vfio_iova_container *c, u64 __user *ubitmap, u64 iova,
			u64 size)
{
	u64 last = iova + size - 1;
	struct vfio_iova_dma *dma;
	int ret;

	if (!c->dirty_tracking)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, -EINVAL, VFIO_IOVA_WHY_STATE,
					"dirty tracking is not started");
	dma = vfio_iova_find_dma(c, iova, iova);
	if (!dma || dma->iova == iova)
		dma = vfio_iova_find_dma(c, last, last);
	if (dma && (dma->iova < iova || vfio_iova_dma_last(dma) > last))
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, -EINVAL, VFIO_IOVA_WHY_SPLIT,
					"[%#llx-%#llx] would split mapping [%#llx-%#llx]",
					iova, last, dma->iova, vfio_iova_dma_last(dma));

	/* No mapping straddles iova (checked above): start at the first one in. */
	for (dma = vfio_iova_first_dma(c, iova, last); dma; dma = vfio_iova_next_dma(dma, last)) {
		ret = vfio_iova_copy_dirty(c, dma, ubitmap, iova);
		if (ret)
			return vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, ret, VFIO_IOVA_WHY_ARGUMENT,
						"the dirty bitmap at %#lx cannot be written",
						(unsigned long)ubitmap);
		bitmap_clear(dma->bitmap, 0, dma->size >> vfio_iova_pgshift(c));
		vfio_iova_populate(c, dma);
	}
	return 0;
}
