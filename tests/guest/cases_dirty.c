// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: dirty page tracking for migration (VFIO_IOMMU_DIRTY_PAGES and
 * unmap with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vt.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

long dirty_flags(int c, uint32_t argsz, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = argsz, .flags = flags };

	return xioctl(c, VFIO_IOMMU_DIRTY_PAGES, &d);
}

/* GET_BITMAP of [iova, iova + size) into @bits; returns the ioctl result. */
long dirty_get(int c, uint64_t iova, uint64_t size, uint64_t pgsize,
	       uint64_t bitmap_size, uint64_t *bits)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} __attribute__((packed)) a = {
		.d = { .argsz = sizeof(a), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP },
		.g = { .iova = iova, .size = size,
		       .bitmap = { .pgsize = pgsize, .size = bitmap_size,
				   .data = (void *)bits } },
	};

	return xioctl(c, VFIO_IOMMU_DIRTY_PAGES, &a);
}

/* Unmap with GET_DIRTY_BITMAP, every field given; *@unmapped as returned. */
static long unmap_dirty_args(int c, uint32_t argsz, uint64_t iova, uint64_t size,
			     uint64_t pgsize, uint64_t bitmap_size, void *bits, uint64_t *unmapped)
{
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} __attribute__((packed)) a = {
		.u = { .argsz = argsz, .flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
		       .iova = iova, .size = size },
		.b = { .pgsize = pgsize, .size = bitmap_size, .data = bits },
	};
	long r = xioctl(c, VFIO_IOMMU_UNMAP_DMA, &a);

	*unmapped = a.u.size;
	return r;
}

#define UNMAP_DIRTY_SZ (sizeof(struct vfio_iommu_type1_dma_unmap) + sizeof(struct vfio_bitmap))

static long unmap_dirty(int c, uint64_t iova, uint64_t size, uint64_t pgsize, uint64_t *bits,
			uint64_t *unmapped)
{
	return unmap_dirty_args(c, UNMAP_DIRTY_SZ, iova, size, pgsize, 8, bits, unmapped);
}

#define START VFIO_IOMMU_DIRTY_PAGES_FLAG_START
#define STOP VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP
#define FULL sizeof(struct vfio_iommu_type1_dirty_bitmap)

/* Get and record a range's bitmap (its first word). */
static void record_get(struct ctx *t, int c, const char *key, uint64_t iova, uint64_t size)
{
	uint64_t bits[4] = { 0 };
	long r = dirty_get(c, iova, size, PAGE, sizeof(bits), bits);

	record(t, key, "%ld %#llx", r, (unsigned long long)bits[0]);
	vt_expect_refusal(t, key, r, NULL);
}

void case_dirty_pages(struct ctx *t)
{
	uint64_t bits[4], b, unmapped;
	struct vt_cont vc;
	void *ro;
	long r;

	b = (uintptr_t)vt_buffer(16 * PAGE);
	if (!b || vt_open(t, &vc, VFIO_TYPE1_IOMMU))
		return;
	refused(t, "type1_start", dirty_flags(vc.c, FULL, START), "state");
	vt_close(&vc);
	if (vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	/* Adjacent mappings: the second starts 4 bits into the first word. */
	record(t, "map_a", "%ld", vt_map(vc.c, 0x100000, 4 * PAGE, b, RW));
	record(t, "map_b", "%ld", vt_map(vc.c, 0x104000, 3 * PAGE, b + 4 * PAGE, RW));

	refused(t, "argsz_short", dirty_flags(vc.c, 4, START), "argument");
	refused(t, "flag_unknown", dirty_flags(vc.c, FULL, 1u << 3), "argument");
	refused(t, "two_flags", dirty_flags(vc.c, FULL, START | STOP), "argument");
	record_get(t, vc.c, "get_before_start", 0x100000, 7 * PAGE);
	r = dirty_flags(vc.c, FULL, START);
	record(t, "start", "%ld", r);
	CHECK(t, r == 0, "START: %ld", r);
	record(t, "start_again", "%ld", dirty_flags(vc.c, FULL, START));

	/* The edu group has not declared a dirty scope: all of it is dirty. */
	record_get(t, vc.c, "get_all", 0x100000, 7 * PAGE);
	record_get(t, vc.c, "get_wider", 0x0, 0x200000);
	record_get(t, vc.c, "get_b", 0x104000, 3 * PAGE);
	record_get(t, vc.c, "get_bisect", 0x101000, 2 * PAGE);
	record_get(t, vc.c, "get_unaligned", 0x100800, 4 * PAGE);
	record_get(t, vc.c, "get_size_zero", 0x100000, 0);
	record_get(t, vc.c, "get_wraps", -PAGE, 2 * PAGE);
	memset(bits, 0, sizeof(bits));
	refused(t, "get_pgsize_8k", dirty_get(vc.c, 0x100000, 8 * PAGE, 2 * PAGE, 8, bits),
		"misaligned");
	refused(t, "get_bitmap_small", dirty_get(vc.c, 0x0, 128 * PAGE, PAGE, 8, bits), "argument");
	refused(t, "get_bitmap_zero", dirty_get(vc.c, 0x100000, PAGE, PAGE, 0, bits), "argument");

	memset(bits, 0, sizeof(bits));
	unmapped = 0;
	r = unmap_dirty(vc.c, 0x100000, 4 * PAGE, PAGE, bits, &unmapped);
	record(t, "unmap_a_dirty", "%ld %#llx %#llx", r, (unsigned long long)unmapped,
	       (unsigned long long)bits[0]);
	r = unmap_dirty(vc.c, 0x104000, 3 * PAGE, 2 * PAGE, bits, &unmapped);
	refused(t, "unmap_dirty_pgsize", r, "misaligned");
	/* A mapping made while tracking has a bitmap too. */
	record(t, "map_c", "%ld", vt_map(vc.c, 0x300000, 2 * PAGE, b + 8 * PAGE, RW));
	record_get(t, vc.c, "get_c", 0x300000, 2 * PAGE);

	/* Unmap with a bitmap: every way to get it wrong keeps the mapping. */
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	r = unmap_dirty_args(vc.c, UNMAP_DIRTY_SZ - 1, 0x300000, 2 * PAGE, PAGE, 8, bits,
			     &unmapped);
	refused(t, "unmap_dirty_argsz_short", r, "argument");
	r = unmap_dirty_args(vc.c, UNMAP_DIRTY_SZ, 0x300000, 2 * PAGE, PAGE, 0, bits, &unmapped);
	refused(t, "unmap_dirty_bitmap_empty", r, "argument");
	r = unmap_dirty_args(vc.c, UNMAP_DIRTY_SZ, 0x300000, 0x41 * PAGE, PAGE, 8, bits,
			     &unmapped);
	refused(t, "unmap_dirty_bitmap_small", r, "argument");
	if (ro != MAP_FAILED) {
		unmapped = 0;
		r = unmap_dirty_args(vc.c, UNMAP_DIRTY_SZ, 0x300000, 2 * PAGE, PAGE, 8, ro,
				     &unmapped);
		record(t, "unmap_dirty_bitmap_readonly", "%ld %#llx", r,
		       (unsigned long long)unmapped);
		vt_expect_refusal(t, "unmap_dirty_bitmap_readonly", r, "argument");
		munmap(ro, PAGE);
	}
	record_get(t, vc.c, "get_c_still_there", 0x300000, 2 * PAGE);

	/* One unmap over two adjacent mappings: both in one bitmap. */
	record(t, "map_d", "%ld", vt_map(vc.c, 0x302000, 3 * PAGE, b + 10 * PAGE, RW));
	memset(bits, 0, sizeof(bits));
	unmapped = 0;
	r = unmap_dirty(vc.c, 0x300000, 5 * PAGE, PAGE, bits, &unmapped);
	record(t, "unmap_dirty_two", "%ld %#llx %#llx", r, (unsigned long long)unmapped,
	       (unsigned long long)bits[0]);

	record(t, "stop", "%ld", dirty_flags(vc.c, FULL, STOP));
	record(t, "stop_again", "%ld", dirty_flags(vc.c, FULL, STOP));
	record_get(t, vc.c, "get_after_stop", 0x104000, 3 * PAGE);
	record(t, "unmap_dirty_after_stop", "%ld",
	       unmap_dirty(vc.c, 0x104000, 3 * PAGE, PAGE, bits, &unmapped));
	vt_close(&vc);
}

/* Emulated users dirty only what they pin or write. */
void case_dirty_pages_emulated(struct ctx *t)
{
	char path[128];
	struct vt_cont vc;
	uint64_t b;
	int dev, g;
	FILE *f;

	CHECK(t, t->mdev_group >= 0 && t->mdev_uuid, "this scenario needs the test mdev");
	b = (uintptr_t)vt_buffer(8 * PAGE);
	if (!b || t->mdev_group < 0 || !t->mdev_uuid ||
	    vt_open_group(t, &vc, t->mdev_group, VFIO_TYPE1v2_IOMMU))
		return;
	dev = xioctl(vc.g, VFIO_GROUP_GET_DEVICE_FD, (void *)t->mdev_uuid);
	CHECK(t, dev >= 0, "open the test mdev: %d", dev);
	snprintf(path, sizeof(path), "/sys/devices/vfio_iova_test_mdev/%s/cmd", t->mdev_uuid);
#define MDEV_CMD(...) do {						\
		f = fopen(path, "w");					\
		if (f) {						\
			fprintf(f, __VA_ARGS__);			\
			fclose(f);					\
		}							\
	} while (0)
	record(t, "map", "%ld", vt_map(vc.c, 0x100000, 8 * PAGE, b, RW));
	record(t, "start", "%ld", dirty_flags(vc.c, FULL, START));
	record_get(t, vc.c, "get_clean", 0x100000, 8 * PAGE);
	MDEV_CMD("pin 101000 1 3");
	record_get(t, vc.c, "get_pinned", 0x100000, 8 * PAGE);
	MDEV_CMD("write 105000 10 7");
	record_get(t, vc.c, "get_written", 0x100000, 8 * PAGE);
	record_get(t, vc.c, "get_again", 0x100000, 8 * PAGE);
	MDEV_CMD("unpin 101000 1");
	record_get(t, vc.c, "get_unpinned", 0x100000, 8 * PAGE);

	/* A group that DMAs directly makes everything dirty, while it stays. */
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group);
	g = open(path, O_RDWR);
	if (g >= 0) {
		record(t, "attach_edu", "%ld", xioctl(g, VFIO_GROUP_SET_CONTAINER, &vc.c));
		record_get(t, vc.c, "get_with_edu", 0x100000, 8 * PAGE);
		record(t, "detach_edu", "%ld", xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL));
		record_get(t, vc.c, "get_after_edu", 0x100000, 8 * PAGE);
		record_get(t, vc.c, "get_after_edu_again", 0x100000, 8 * PAGE);
		close(g);
	}
#undef MDEV_CMD
	if (dev >= 0)
		close(dev);
	vt_close(&vc);
}

/*
 * A page an emulated user pinned before tracking started may be written
 * until it is unpinned: START marks it dirty, so neither an unpin nor an
 * unmap before the first GET_BITMAP can lose it.  @how: 0 get it while
 * pinned, 1 unpin first, 2 unpin and unmap with GET_DIRTY_BITMAP.
 */
static void pinned_before_start(struct ctx *t, int how, const char *key)
{
	uint64_t bits[4] = { 0 }, unmapped = 0;
	struct vt_cont vc;
	char *buf = vt_buffer(8 * PAGE);
	long r;
	int dev;

	if (!buf || mdev_open(t, &vc, VFIO_TYPE1v2_IOMMU, &dev))
		return;
	CHECK(t, !vt_map(vc.c, 0x100000, 8 * PAGE, (uintptr_t)buf, RW), "%s: map", key);
	r = mdev_cmd(t, NULL, "pin 101000 1 3");
	CHECK(t, r == 1, "%s: pin: %ld", key, r);
	CHECK(t, !dirty_flags(vc.c, FULL, START), "%s: START", key);
	if (how > 0)
		CHECK(t, !mdev_cmd(t, NULL, "unpin 101000 1"), "%s: unpin", key);
	if (how < 2)
		r = dirty_get(vc.c, 0x100000, 8 * PAGE, PAGE, sizeof(bits), bits);
	else
		r = unmap_dirty(vc.c, 0x100000, 8 * PAGE, PAGE, bits, &unmapped);
	record(t, key, "%ld %#llx", r, (unsigned long long)bits[0]);
	CHECK(t, !r && (bits[0] & 2), "%s: %ld, bitmap %#llx: the page pinned before START is lost",
	      key, r, (unsigned long long)bits[0]);
	if (!how)
		mdev_cmd(t, NULL, "unpin 101000 1");
	close(dev);
	vt_close(&vc);
	munmap(buf, 8 * PAGE);
}

void case_dirty_pinned_before_start(struct ctx *t)
{
	pinned_before_start(t, 0, "get_while_pinned");
	pinned_before_start(t, 1, "get_after_unpin");
	pinned_before_start(t, 2, "unmap_after_unpin");
}
