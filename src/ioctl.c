// SPDX-License-Identifier: GPL-2.0
/*
 * The type1 ioctl ABI: copy arguments in, check them in the order and with
 * the errno of the stock backend (of mainline, where Debian's stock backend
 * mishandles the top of the address space), call the core, copy results out.
 * No policy lives here.
 */
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "internal.h"

/* The fixed part of an argument is there, and no unknown flag is set. */
static int vfio_iova_check_args(struct vfio_iova_container *c, enum vfio_iova_op op, u32 argsz,
				size_t minsz, u32 flags, u32 known)
{
	if (argsz < minsz)
		return vfio_iova_refuse(c, op, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"argsz %u is less than %zu", argsz, minsz);
	if (flags & ~known)
		return vfio_iova_refuse(c, op, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"unknown flags %#x", flags & ~known);
	return 0;
}

/*
 * A user dirty bitmap for @size bytes: a page size, present, not too
 * large, large enough.
 */
static int vfio_iova_check_bitmap(struct vfio_iova_container *c, enum vfio_iova_op op,
				  const struct vfio_bitmap *bitmap, u64 size)
{
	u64 npages;

	if (!bitmap->pgsize)
		return vfio_iova_refuse(c, op, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"bitmap page size is 0");
	if (!access_ok((void __user *)bitmap->data, bitmap->size))
		return vfio_iova_refuse(c, op, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"bitmap of %#llx bytes is not user memory",
					bitmap->size);
	npages = size >> __ffs(bitmap->pgsize);
	if (!npages || !bitmap->size || bitmap->size > VFIO_IOVA_DIRTY_SIZE_MAX ||
	    bitmap->size < VFIO_IOVA_DIRTY_BYTES(npages))
		return vfio_iova_refuse(c, op, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"bitmap of %#llx bytes for %llu pages (at most %#llx bytes)",
					bitmap->size, npages, VFIO_IOVA_DIRTY_SIZE_MAX);
	return 0;
}

/*
 * With @c NULL the vfio core asks which backend serves a new container of
 * type @ext: the first registered backend answering > 0 gets it, so a type
 * we are told not to serve is left to the next one (the stock backend, if
 * it is loaded).
 */
static long vfio_iova_check_extension(struct vfio_iova_container *c, unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
		return c || vfio_iova_serve_type1;
	case VFIO_TYPE1v2_IOMMU:
		return c || vfio_iova_serve_type1v2;
	case VFIO_IOVA_TYPE1_NESTING:
		return VFIO_IOVA_SERVES_NESTING && (c || vfio_iova_serve_type1v2);
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_UPDATE_VADDR:
		/* Emulated users could not pin while vaddrs are updated. */
		return c && !vfio_iova_has_emulated(c);
	case VFIO_DMA_CC_IOMMU:
		return c ? vfio_iova_all_coherent(c) : 0;
	default:
		return 0;
	}
}

static int vfio_iova_caps_ranges(struct vfio_iova_container *c, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *header;
	u32 i;

	/*
	 * No capability before the first IOMMU domain (no restriction); after
	 * the last one left, the ranges are [0, U64_MAX] (as stock).
	 */
	if (!c->valid.nr)
		return 0;
	header = vfio_info_cap_add(caps, struct_size(cap, iova_ranges, c->valid.nr),
				   VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(header))
		return PTR_ERR(header);
	cap = container_of(header, struct vfio_iommu_type1_info_cap_iova_range, header);
	cap->nr_iovas = c->valid.nr;
	for (i = 0; i < c->valid.nr; i++) {
		cap->iova_ranges[i].start = c->valid.v[i].start;
		cap->iova_ranges[i].end = c->valid.v[i].last;
	}
	return 0;
}

/* The capability chain, in the stock backend's order. */
static int vfio_iova_build_caps(struct vfio_iova_container *c, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_migration mig = {
		.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
		.header.version = 1,
		.pgsize_bitmap = (size_t)1 << vfio_iova_pgshift(c),
		.max_dirty_bitmap_size = VFIO_IOVA_DIRTY_SIZE_MAX,
	};
	struct vfio_iommu_type1_info_dma_avail avail = {
		.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
		.header.version = 1,
		.avail = c->dma_avail,
	};
	int ret;

	ret = vfio_info_add_capability(caps, &mig.header, sizeof(mig));
	if (!ret)
		ret = vfio_info_add_capability(caps, &avail.header, sizeof(avail));
	if (!ret)
		ret = vfio_iova_caps_ranges(c, caps);
	return ret;
}

static long vfio_iova_get_info(struct vfio_iova_container *c, unsigned long arg)
{
	struct vfio_iommu_type1_info info = {};
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	int ret;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* Write back as much of the fixed part as the caller has room for. */
	minsz = min_t(size_t, info.argsz, sizeof(info));

	mutex_lock(&c->lock);
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = c->pgsize_bitmap;
	ret = vfio_iova_build_caps(c, &caps);
	mutex_unlock(&c->lock);
	if (ret)
		return ret;

	if (caps.size) {
		info.flags |= VFIO_IOMMU_INFO_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			/* Too small: say how much is needed, copy no caps. */
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user((void __user *)arg + sizeof(info), caps.buf,
					 caps.size)) {
				kfree(caps.buf);
				return -EFAULT;
			}
			info.cap_offset = sizeof(info);
		}
		kfree(caps.buf);
	}
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long vfio_iova_map_dma(struct vfio_iova_container *c, unsigned long arg)
{
	const u32 known = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			  VFIO_DMA_MAP_FLAG_VADDR;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	bool set_vaddr;
	int ret, prot = 0;
	u64 last;

	if (copy_from_user(&map, (void __user *)arg, minsz))
		return -EFAULT;
	ret = vfio_iova_check_args(c, VFIO_IOVA_OP_MAP, map.argsz, minsz, map.flags, known);
	if (ret)
		return ret;
	if (!map.size)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"size is 0");
	/* iova + size may end exactly at 2^64, but not wrap past it. */
	if (check_add_overflow(map.vaddr, map.size - 1, &last))
		return vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -EOVERFLOW, VFIO_IOVA_WHY_WRAPS,
					"vaddr %#llx + size %#llx wraps", map.vaddr, map.size);
	if (check_add_overflow(map.iova, map.size - 1, &last))
		return vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -EOVERFLOW, VFIO_IOVA_WHY_WRAPS,
					"iova %#llx + size %#llx wraps", map.iova, map.size);

	set_vaddr = map.flags & VFIO_DMA_MAP_FLAG_VADDR;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (!!prot == set_vaddr)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					set_vaddr ? "VADDR with READ or WRITE" :
					"neither READ, WRITE nor VADDR");
	if (set_vaddr)
		return vfio_iova_update_vaddr(c, map.iova, map.size, map.vaddr);
	return vfio_iova_do_map(c, map.iova, map.size, map.vaddr, prot);
}

static long vfio_iova_unmap_dma(struct vfio_iova_container *c, unsigned long arg)
{
	const u32 known = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
			  VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_bitmap bitmap;
	u64 unmapped = 0;
	int ret;

	if (copy_from_user(&unmap, (void __user *)arg, minsz))
		return -EFAULT;
	ret = vfio_iova_check_args(c, VFIO_IOVA_OP_UNMAP, unmap.argsz, minsz, unmap.flags, known);
	if (ret)
		return ret;
	if ((unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
	    (unmap.flags & (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)))
		return vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"GET_DIRTY_BITMAP with ALL or VADDR");
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		if (unmap.argsz < minsz + sizeof(bitmap))
			return vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EINVAL,
						VFIO_IOVA_WHY_ARGUMENT,
						"argsz %u has no room for the bitmap",
						unmap.argsz);
		if (copy_from_user(&bitmap, (void __user *)arg + minsz, sizeof(bitmap)))
			return -EFAULT;
		ret = vfio_iova_check_bitmap(c, VFIO_IOVA_OP_UNMAP, &bitmap, unmap.size);
		if (ret)
			return ret;
	}

	ret = vfio_iova_do_unmap(c, unmap.iova, unmap.size,
				 unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL,
				 unmap.flags & VFIO_DMA_UNMAP_FLAG_VADDR,
				 unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP ?
				 &bitmap : NULL, &unmapped);
	if (ret)
		return ret;
	unmap.size = unmapped;
	return copy_to_user((void __user *)arg, &unmap, minsz) ? -EFAULT : 0;
}

static long vfio_iova_dirty_pages(struct vfio_iova_container *c, unsigned long arg)
{
	const u32 known = VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			  VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	struct vfio_iommu_type1_dirty_bitmap_get range;
	struct vfio_iommu_type1_dirty_bitmap dirty;
	u64 last, pgsize;
	long ret;

	if (!c->v2)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, -EACCES, VFIO_IOVA_WHY_STATE,
					"dirty tracking needs a type1v2 container");
	if (copy_from_user(&dirty, (void __user *)arg, minsz))
		return -EFAULT;
	/* Exactly one known flag. */
	if (dirty.argsz < minsz || dirty.flags & ~known || hweight32(dirty.flags) != 1)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"argsz %u, flags %#x: exactly one of START, STOP, GET_BITMAP",
					dirty.argsz, dirty.flags);

	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
		mutex_lock(&c->lock);
		ret = vfio_iova_dirty_start(c);
		mutex_unlock(&c->lock);
		return ret;
	}
	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		mutex_lock(&c->lock);
		vfio_iova_dirty_stop(c);
		mutex_unlock(&c->lock);
		return 0;
	}

	if (dirty.argsz - minsz < sizeof(range))
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"argsz %u has no room for the range", dirty.argsz);
	if (copy_from_user(&range, (void __user *)arg + minsz, sizeof(range)))
		return -EFAULT;
	if (!range.size)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, -EINVAL, VFIO_IOVA_WHY_ARGUMENT,
					"size is 0");
	if (check_add_overflow(range.iova, range.size - 1, &last))
		return vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, -EOVERFLOW, VFIO_IOVA_WHY_WRAPS,
					"iova %#llx + size %#llx wraps", range.iova, range.size);
	ret = vfio_iova_check_bitmap(c, VFIO_IOVA_OP_DIRTY, &range.bitmap, range.size);
	if (ret)
		return ret;

	mutex_lock(&c->lock);
	pgsize = 1ULL << vfio_iova_pgshift(c);
	/* Only the smallest page size, and whole pages of it. */
	if (range.bitmap.pgsize != pgsize)
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, -EINVAL, VFIO_IOVA_WHY_MISALIGNED,
				       "bitmap page size %#llx is not the IOMMU page size %#llx",
				       range.bitmap.pgsize, pgsize);
	else if ((range.iova | range.size) & (pgsize - 1))
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_DIRTY, -EINVAL, VFIO_IOVA_WHY_MISALIGNED,
				       "iova %#llx or size %#llx is not a multiple of %#llx",
				       range.iova, range.size, pgsize);
	else
		ret = vfio_iova_dirty_get(c, (u64 __user *)range.bitmap.data, range.iova,
					  range.size);
	mutex_unlock(&c->lock);
	return ret;
}

static long vfio_iova_dispatch(struct vfio_iova_container *c, unsigned int cmd,
			       unsigned long arg)
{
	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return vfio_iova_check_extension(c, arg);
	case VFIO_IOMMU_GET_INFO:
		return vfio_iova_get_info(c, arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_iova_map_dma(c, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_iova_unmap_dma(c, arg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return vfio_iova_dirty_pages(c, arg);
	default:
		return -ENOTTY;
	}
}

long vfio_iova_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	struct vfio_iova_container *c = data;
	long ret;

	/* No container: the core asks every backend for its extensions. */
	if (!c)
		return cmd == VFIO_CHECK_EXTENSION ? vfio_iova_check_extension(NULL, arg) : -EINVAL;
	/* Released under us: answer as the core does without a backend. */
	if (!vfio_iova_container_get(c))
		return -EINVAL;
	ret = vfio_iova_dispatch(c, cmd, arg);
	vfio_iova_container_put(c);
	return ret;
}
