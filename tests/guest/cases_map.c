// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: VFIO_IOMMU_GET_INFO, MAP_DMA and UNMAP_DMA, argument by
 * argument, on the layout the scenario booted with.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define BUF_SIZE (2ULL << 20)

/*
 * Record a GET_INFO reply byte by byte, except the pad word (bytes 20-23),
 * recorded apart: Debian's 6.1 stock backend leaves it as the caller had
 * it, 6.12 and mainline (and we) write zero.
 */
static void record_reply(struct ctx *t, const char *key, long r, const unsigned char *buf,
			 size_t len)
{
	char hex[2 * 1024 + 1], padkey[32];
	size_t i;

	for (i = 0; i < len && i < 1024; i++)
		sprintf(hex + 2 * i, (i >= 20 && i < 24) ? ".." : "%02x", buf[i]);
	record(t, key, "%ld %s", r, hex);
	snprintf(padkey, sizeof(padkey), "pad_%s", key);
	record(t, padkey, "%02x%02x%02x%02x", buf[20], buf[21], buf[22], buf[23]);
}

/* GET_INFO: short argsz, exact minsz, and the full reply byte by byte. */
void case_get_info(struct ctx *t)
{
	struct vfio_iommu_type1_info info;
	unsigned char buf[1024];
	struct vt_cont vc;
	uint32_t argsz;
	char *map;
	long r;

	if (vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	memset(&info, 0, sizeof(info));
	info.argsz = offsetof(struct vfio_iommu_type1_info, iova_pgsizes);
	record(t, "argsz_short", "%ld", xioctl(vc.c, VFIO_IOMMU_GET_INFO, &info));

	memset(&info, 0xa5, sizeof(info));
	info.argsz = offsetof(struct vfio_iommu_type1_info, cap_offset);
	r = xioctl(vc.c, VFIO_IOMMU_GET_INFO, &info);
	record(t, "argsz_v1", "%ld argsz=%u flags=%#x pgsizes=%#llx", r, info.argsz,
	       info.flags, (unsigned long long)info.iova_pgsizes);

	/* Between the fields: nothing is written past argsz. */
	for (argsz = 17; argsz < sizeof(info); argsz += 2) {
		char key[16];

		memset(buf, 0xa5, sizeof(buf));
		((struct vfio_iommu_type1_info *)buf)->argsz = argsz;
		r = xioctl(vc.c, VFIO_IOMMU_GET_INFO, buf);
		snprintf(key, sizeof(key), "argsz_%u", argsz);
		record(t, key, "%ld %02x%02x%02x%02x%02x%02x%02x%02x", r, buf[16], buf[17],
		       buf[18], buf[19], buf[20], buf[21], buf[22], buf[23]);
		CHECK(t, r == 0 && !memcmp(buf + argsz, "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5",
					   sizeof(info) - argsz),
		      "GET_INFO with argsz %u: %ld, wrote past argsz", argsz, r);
	}

	memset(&info, 0xa5, sizeof(info));
	info.argsz = sizeof(info);
	r = xioctl(vc.c, VFIO_IOMMU_GET_INFO, &info);
	record(t, "argsz_min", "%ld argsz=%u flags=%#x pgsizes=%#llx cap_offset=%u", r,
	       info.argsz, info.flags, (unsigned long long)info.iova_pgsizes,
	       info.cap_offset);
	CHECK(t, r == 0 && info.argsz > sizeof(info),
	      "GET_INFO with minsz must ask for room for the capabilities");
	argsz = info.argsz;
	CHECK(t, argsz <= sizeof(buf), "GET_INFO asks for %u bytes", argsz);
	if (argsz > sizeof(buf))
		goto out;

	/* Exactly the size asked for, then more than asked: same bytes. */
	memset(buf, 0xa5, sizeof(buf));
	((struct vfio_iommu_type1_info *)buf)->argsz = argsz;
	r = xioctl(vc.c, VFIO_IOMMU_GET_INFO, buf);
	record_reply(t, "full", r, buf, argsz);
	CHECK(t, r == 0, "GET_INFO with argsz %u: %ld", argsz, r);

	memset(buf, 0xa5, sizeof(buf));
	((struct vfio_iommu_type1_info *)buf)->argsz = sizeof(buf);
	r = xioctl(vc.c, VFIO_IOMMU_GET_INFO, buf);
	record_reply(t, "large", r, buf, sizeof(buf));

	/* One byte short of the caps: argsz comes back, caps do not. */
	memset(buf, 0xa5, sizeof(buf));
	((struct vfio_iommu_type1_info *)buf)->argsz = argsz - 1;
	r = xioctl(vc.c, VFIO_IOMMU_GET_INFO, buf);
	record_reply(t, "one_short", r, buf, argsz);

	/* With mappings: DMA_AVAIL counts them. */
	map = vt_buffer(2 * PAGE);
	CHECK(t, map && !vt_map(vc.c, 0x100000, PAGE, (uintptr_t)map, RW) &&
	      !vt_map(vc.c, 0x200000, PAGE, (uintptr_t)map + PAGE, RW), "two maps");
	memset(buf, 0xa5, sizeof(buf));
	((struct vfio_iommu_type1_info *)buf)->argsz = argsz;
	r = xioctl(vc.c, VFIO_IOMMU_GET_INFO, buf);
	record_reply(t, "with_mappings", r, buf, argsz);
out:
	vt_close(&vc);
}

/* Every way to get MAP_DMA's arguments wrong, one by one. */
void case_map_args(struct ctx *t)
{
	struct vfio_iommu_type1_dma_map m;
	struct vt_cont vc;
	uint64_t b, unmapped;
	void *ro;
	char *buf;
	long r;

	buf = vt_buffer(BUF_SIZE);
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(t, buf && ro != MAP_FAILED, "mmap failed");
	if (!buf || ro == MAP_FAILED || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	b = (uintptr_t)buf;

	r = vt_map(vc.c, 0x100000, PAGE, b, RW);
	record(t, "ok", "%ld", r);
	CHECK(t, r == 0, "a valid one-page map failed: %ld", r);

	memset(&m, 0, sizeof(m));
	m.argsz = offsetof(struct vfio_iommu_type1_dma_map, size);
	m.flags = RW;
	m.vaddr = b + PAGE;
	m.iova = 0x200000;
	refused(t, "argsz_short", xioctl(vc.c, VFIO_IOMMU_MAP_DMA, &m), "argument");
	m.argsz = sizeof(m) + 64;
	m.size = PAGE;
	record(t, "argsz_long", "%ld", xioctl(vc.c, VFIO_IOMMU_MAP_DMA, &m));
	vt_unmap(vc.c, 0x200000, PAGE, 0, NULL);

	refused(t, "flags_unknown", vt_map(vc.c, 0x200000, PAGE, b, RW | (1u << 10)), "argument");
	refused(t, "flags_none", vt_map(vc.c, 0x200000, PAGE, b, 0), "argument");
	record(t, "read_only", "%ld", vt_map(vc.c, 0x200000, PAGE, b,
					     VFIO_DMA_MAP_FLAG_READ));
	vt_unmap(vc.c, 0x200000, PAGE, 0, NULL);
	record(t, "write_only", "%ld", vt_map(vc.c, 0x200000, PAGE, b,
					      VFIO_DMA_MAP_FLAG_WRITE));
	vt_unmap(vc.c, 0x200000, PAGE, 0, NULL);
	refused(t, "vaddr_flag_new", vt_map(vc.c, 0x200000, PAGE, b,
					    RW | VFIO_DMA_MAP_FLAG_VADDR), "argument");
	refused(t, "size_zero", vt_map(vc.c, 0x200000, 0, b, RW), "argument");
	refused(t, "iova_unaligned", vt_map(vc.c, 0x200800, PAGE, b, RW), "misaligned");
	refused(t, "size_unaligned", vt_map(vc.c, 0x200000, 0x800, b, RW), "misaligned");
	refused(t, "vaddr_unaligned", vt_map(vc.c, 0x200000, PAGE, b + 0x800, RW), "misaligned");
	refused(t, "iova_wraps", vt_map(vc.c, -PAGE, 2 * PAGE, b, RW), "wraps");
	refused(t, "vaddr_wraps", vt_map(vc.c, 0x200000, 2 * PAGE, -PAGE, RW), "wraps");
	refused(t, "overlap_same", vt_map(vc.c, 0x100000, PAGE, b + PAGE, RW), "overlap");
	refused(t, "overlap_below", vt_map(vc.c, 0x0ff000, 2 * PAGE, b + PAGE, RW), "overlap");
	refused(t, "overlap_above", vt_map(vc.c, 0x100000, 2 * PAGE, b + PAGE, RW), "overlap");
	refused(t, "overlap_around", vt_map(vc.c, 0x0ff000, 3 * PAGE, b + PAGE, RW), "overlap");
	record(t, "adjacent_below", "%ld", vt_map(vc.c, 0x0ff000, PAGE, b + PAGE, RW));
	record(t, "adjacent_above", "%ld", vt_map(vc.c, 0x101000, PAGE, b + 2 * PAGE, RW));
	refused(t, "vaddr_unmapped", vt_map(vc.c, 0x400000, PAGE, 0x10000, RW), "pin");
	refused(t, "vaddr_readonly_rw", vt_map(vc.c, 0x400000, PAGE, (uintptr_t)ro, RW), "pin");
	record(t, "vaddr_readonly_r", "%ld", vt_map(vc.c, 0x400000, PAGE, (uintptr_t)ro,
						    VFIO_DMA_MAP_FLAG_READ));
	/* Past the end of the buffer: pinning fails part way. */
	refused(t, "vaddr_partly_unmapped", vt_map(vc.c, 0x800000, BUF_SIZE + 16 * PAGE, b, RW),
		"pin");
	refused(t, "size_huge", vt_map(vc.c, 0, 1ULL << 63, b, RW), "overlap");
	r = vt_unmap(vc.c, 0, 1ULL << 40, 0, &unmapped);
	record(t, "cleanup", "%ld %llu", r, (unsigned long long)unmapped);
	vt_close(&vc);
	munmap(buf, BUF_SIZE);
	munmap(ro, PAGE);
}

/*
 * Around every edge of the valid ranges the stock backend reports: the last
 * valid page before each hole, the first and last page of each hole, the
 * first valid page after it, and a page straddling each edge.
 */
void case_map_ranges(struct ctx *t)
{
	struct vt_ranges vr;
	struct vt_cont vc;
	char key[48], *buf;
	unsigned int i;
	uint64_t b;

	buf = vt_buffer(2 * PAGE);
	if (!buf || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	b = (uintptr_t)buf;
	vt_get_ranges(vc.c, &vr);
	record(t, "nr_ranges", "%u", vr.nr);
	for (i = 0; i < vr.nr; i++) {
		uint64_t s = vr.r[i].start, e = vr.r[i].end;
		struct { const char *what; uint64_t iova, size; } probe[] = {
			{ "first", s, PAGE },
			{ "last", e - PAGE + 1, PAGE },
			{ "below_start", s - PAGE, PAGE },
			{ "straddle_start", s - PAGE, 2 * PAGE },
			{ "above_end", e + 1, PAGE },
			{ "straddle_end", e - PAGE + 1, 2 * PAGE },
		};
		unsigned int j;

		snprintf(key, sizeof(key), "range%u", i);
		record(t, key, "%#llx-%#llx", (unsigned long long)s, (unsigned long long)e);
		for (j = 0; j < ARRAY_SIZE(probe); j++) {
			uint64_t unmapped = 0;
			long r, u;

			if ((j == 2 || j == 3) && s == 0)
				continue;	/* nothing below IOVA 0 */
			if ((j == 4 || j == 5) && e == UINT64_MAX)
				continue;	/* see top-of-address-space */
			r = vt_map(vc.c, probe[j].iova, probe[j].size, b, RW);
			u = vt_unmap(vc.c, probe[j].iova, probe[j].size, 0, &unmapped);
			/* The last page of the address space: top-of-address-space. */
			if (j == 1 && e == UINT64_MAX)
				snprintf(key, sizeof(key), "rtop_last");
			else
				snprintf(key, sizeof(key), "r%u_%s", i, probe[j].what);
			record(t, key, "map=%ld unmap=%ld unmapped=%#llx", r, u,
			       (unsigned long long)unmapped);
			if (j < 2)
				CHECK(t, r == 0, "map of the %s page of range %u failed: %ld",
				      probe[j].what, i, r);
			else
				CHECK(t, r != 0, "map %s range %u succeeded", probe[j].what, i);
		}
	}
	/* Well-known reserved regions, whether or not this layout has them. */
	refused(t, "msi_window", vt_map(vc.c, 0xfee00000, PAGE, b, RW), "range");
	refused(t, "arm_sw_msi", vt_map(vc.c, 0x8000000, PAGE, b, RW), "range");
	refused(t, "ht_hole", vt_map(vc.c, 0xfd00000000ULL, PAGE, b, RW), "range");
	refused(t, "above_39bit", vt_map(vc.c, 1ULL << 39, PAGE, b, RW), "range");
	refused(t, "above_48bit", vt_map(vc.c, 1ULL << 48, PAGE, b, RW), "range");
	vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL);
	vt_close(&vc);
}

/* Map [iova, iova + n pages) as one mapping from @b. */
static long map_pages(int c, uint64_t iova, unsigned int n, uint64_t b)
{
	return vt_map(c, iova, n * PAGE, b, RW);
}

/* The unmap rules of one container type, recorded step by step. */
static void unmap_rules(struct ctx *t, unsigned long type)
{
	static const struct {
		const char *what;
		uint64_t iova, size;
		uint32_t flags;
		const char *why;	/* our reason, if refused */
	} step[] = {
		{ "nothing", 0x10000000, 4 * PAGE, 0, NULL },
		{ "first_half", 0x100000, PAGE, 0, "split" },
		{ "second_half", 0x101000, PAGE, 0, "split" },
		{ "middle", 0x201000, PAGE, 0, "split" },
		{ "straddle_two", 0x101000, 0x100000, 0, "split" },
		{ "iova_unaligned", 0x300800, PAGE, 0, "misaligned" },
		{ "size_unaligned", 0x300000, 0x800, 0, "misaligned" },
		{ "size_zero", 0x300000, 0, 0, "argument" },
		{ "flags_unknown", 0x300000, PAGE, 1u << 7, "argument" },
		{ "wraps", -PAGE, 2 * PAGE, 0, "wraps" },
		{ "exact", 0x300000, 2 * PAGE, 0, NULL },
		{ "superset", 0x000000, 0x1000000, 0, NULL },
	};
	struct vfio_iommu_type1_dma_unmap u;
	struct vt_cont vc;
	char key[48], *buf;
	unsigned int i;
	uint64_t b, unmapped;
	long r;

	buf = vt_buffer(BUF_SIZE);
	if (!buf || vt_open(t, &vc, type))
		return;
	b = (uintptr_t)buf;
	/* Three two-page mappings: 0x100000, 0x200000 (3 pages), 0x300000. */
	CHECK(t, !map_pages(vc.c, 0x100000, 2, b) && !map_pages(vc.c, 0x200000, 3, b + 2 * PAGE) &&
	      !map_pages(vc.c, 0x300000, 2, b + 5 * PAGE), "setting up mappings failed");

	memset(&u, 0, sizeof(u));
	u.argsz = offsetof(struct vfio_iommu_type1_dma_unmap, size);
	u.iova = 0x300000;
	refused(t, "argsz_short", xioctl(vc.c, VFIO_IOMMU_UNMAP_DMA, &u), "argument");

	for (i = 0; i < ARRAY_SIZE(step); i++) {
		unmapped = 0xdead;
		r = vt_unmap(vc.c, step[i].iova, step[i].size, step[i].flags, &unmapped);
		snprintf(key, sizeof(key), "%s", step[i].what);
		record(t, key, "%ld unmapped=%#llx", r, (unsigned long long)unmapped);
		vt_expect_refusal(t, key, r, step[i].why);
	}
	/* Remap after a v1 partial unmap must work where the space is free. */
	r = map_pages(vc.c, 0x100000, 2, b);
	record(t, "remap", "%ld", r);
	r = vt_unmap(vc.c, 0, 1ULL << 32, 0, &unmapped);
	record(t, "cleanup", "%ld %#llx", r, (unsigned long long)unmapped);
	vt_close(&vc);
	munmap(buf, BUF_SIZE);
}

void case_unmap_v2(struct ctx *t)
{
	unmap_rules(t, VFIO_TYPE1v2_IOMMU);
}

void case_unmap_v1(struct ctx *t)
{
	unmap_rules(t, VFIO_TYPE1_IOMMU);
}

/* VFIO_DMA_UNMAP_FLAG_ALL and its argument rules. */
void case_unmap_all(struct ctx *t)
{
	struct vt_cont vc;
	uint64_t b, unmapped;
	char *buf;
	long r;
	int i;

	buf = vt_buffer(BUF_SIZE);
	if (!buf || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	b = (uintptr_t)buf;
	for (i = 0; i < 8; i++)
		CHECK(t, !vt_map(vc.c, 0x100000 + i * 0x10000, (i + 1) * PAGE, b, RW),
		      "map %d failed", i);
	refused(t, "with_iova", vt_unmap(vc.c, 0x100000, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL),
		"argument");
	refused(t, "with_size", vt_unmap(vc.c, 0, PAGE, VFIO_DMA_UNMAP_FLAG_ALL, NULL),
		"argument");
	refused(t, "with_dirty", vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL |
					   VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, NULL), "argument");
	unmapped = 0xdead;
	r = vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped);
	record(t, "all", "%ld unmapped=%#llx", r, (unsigned long long)unmapped);
	unmapped = 0xdead;
	r = vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped);
	record(t, "all_again", "%ld unmapped=%#llx", r, (unsigned long long)unmapped);
	vt_close(&vc);
	munmap(buf, BUF_SIZE);
}

/*
 * The top of the address space: QEMU unmaps everything in two halves, the
 * second ending exactly at 2^64.  Debian's 6.1/6.12 stock backends answer
 * some of these wrongly (see docs/design.md, "Differences from the stock backend").
 */
void case_top_of_space(struct ctx *t)
{
	struct vt_ranges vr;
	struct vt_cont vc;
	uint64_t b, unmapped, top;
	char *buf;
	long r;

	buf = vt_buffer(4 * PAGE);
	if (!buf || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	b = (uintptr_t)buf;
	vt_get_ranges(vc.c, &vr);
	top = vr.nr ? vr.r[vr.nr - 1].end : 0;
	record(t, "last_valid", "%#llx", (unsigned long long)top);

	/* QEMU's whole-space unmap: [0, 2^63) then [2^63, 2^64). */
	CHECK(t, !vt_map(vc.c, 0x100000, PAGE, b, RW), "map failed");
	r = vt_unmap(vc.c, 0, 1ULL << 63, 0, &unmapped);
	record(t, "unmap_low_half", "%ld unmapped=%#llx", r, (unsigned long long)unmapped);
	unmapped = 0xdead;
	r = vt_unmap(vc.c, 1ULL << 63, 1ULL << 63, 0, &unmapped);
	record(t, "unmap_high_half", "%ld unmapped=%#llx", r, (unsigned long long)unmapped);

	/* The last page of the last valid range. */
	r = vt_map(vc.c, top - PAGE + 1, PAGE, b, RW);
	record(t, "map_last_page", "%ld", r);
	unmapped = 0xdead;
	r = vt_unmap(vc.c, top - PAGE + 1, PAGE, 0, &unmapped);
	record(t, "unmap_last_page", "%ld unmapped=%#llx", r, (unsigned long long)unmapped);
	if (!strcmp(t->backend, "vfio_iommu_iova"))
		CHECK(t, r == 0 && unmapped == PAGE,
		      "unmap of the last page: %ld, %#llx unmapped", r,
		      (unsigned long long)unmapped);
	if (r == 0 && unmapped == 0)	/* the stock bug left it mapped */
		vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL);

	/* Map the last page again, then unmap everything with FLAG_ALL. */
	r = vt_map(vc.c, top - PAGE + 1, PAGE, b, RW);
	record(t, "remap_last_page", "%ld", r);
	unmapped = 0xdead;
	r = vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped);
	record(t, "unmap_all_last_page", "%ld unmapped=%#llx", r,
	       (unsigned long long)unmapped);

	/* Mainline, and we, unmap the last page like any other. */
	if (!strcmp(t->backend, "vfio_iommu_iova"))
		CHECK(t, r == 0 && unmapped == PAGE,
		      "unmap-all of the last page: %ld, %#llx unmapped", r,
		      (unsigned long long)unmapped);

	/* Ranges that wrap past 2^64: -EOVERFLOW in mainline, and here. */
	r = vt_map(vc.c, top - PAGE + 1, 2 * PAGE, b, RW);
	refused(t, "map_wraps", r, top == UINT64_MAX ? "wraps" : "range");
	if (!strcmp(t->backend, "vfio_iommu_iova") && top == UINT64_MAX)
		CHECK(t, r == -EOVERFLOW, "map wrapping past 2^64: %ld", r);
	r = vt_unmap(vc.c, top - PAGE + 1, 2 * PAGE, 0, NULL);
	refused(t, "unmap_wraps", r, "wraps");
	if (!strcmp(t->backend, "vfio_iommu_iova") && top == UINT64_MAX)
		CHECK(t, r == -EOVERFLOW, "unmap wrapping past 2^64: %ld", r);
	refused(t, "unmap_max_size", vt_unmap(vc.c, PAGE, UINT64_MAX - PAGE + 1, 0, NULL), NULL);
	vt_close(&vc);
	munmap(buf, 4 * PAGE);
}

/* dma_entry_limit: -ENOSPC once reached, and the DMA_AVAIL capability. */
void case_dma_entry_limit(struct ctx *t)
{
	struct vt_cont vc;
	long old, r = 0;
	char key[32], *buf;
	uint64_t b;
	int i;

	buf = vt_buffer(8 * PAGE);
	old = vt_set_param(t->backend, "dma_entry_limit", 4);
	CHECK(t, old > 0, "cannot set %s.dma_entry_limit", t->backend);
	if (!buf || old <= 0 || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		goto restore;
	b = (uintptr_t)buf;
	for (i = 0; i < 6; i++) {
		r = vt_map(vc.c, 0x100000 + i * 0x10000, PAGE, b + i * PAGE, RW);
		snprintf(key, sizeof(key), "map%d", i);
		refused(t, key, r, "entry_limit");
	}
	CHECK(t, r == -ENOSPC, "map beyond dma_entry_limit: %ld", r);
	/* Unmapping one entry makes room for one. */
	record(t, "unmap_one", "%ld", vt_unmap(vc.c, 0x100000, PAGE, 0, NULL));
	record(t, "map_again", "%ld", vt_map(vc.c, 0x100000, PAGE, b, RW));
	record(t, "unmap_all", "%ld", vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	vt_close(&vc);
restore:
	if (old > 0)
		vt_set_param(t->backend, "dma_entry_limit", old);
}

/*
 * RLIMIT_MEMLOCK as an unprivileged user: the limit holds to the page and
 * VmLck returns to zero after unmap and after close.
 */
void case_memlock(struct ctx *t)
{
	char path[64];
	int status;
	pid_t pid;

	/* What a udev rule would do for the user owning the device. */
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group);
	chmod("/dev/vfio", 0755);
	chmod("/dev/vfio/vfio", 0666);
	chmod(path, 0666);
	fflush(t->out);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 16 * PAGE, 16 * PAGE };
		struct vt_cont vc;
		uint64_t b, unmapped = 0;
		char *buf;
		long r;

		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534)) {
			vt_fail(t, "cannot drop privileges");
			goto child_out;
		}
		buf = vt_buffer(32 * PAGE);
		if (!buf || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
			goto child_out;
		b = (uintptr_t)buf;
		record(t, "vmlck_start", "%ld", vt_vmlck_kb());
		r = vt_map(vc.c, 0x100000, 16 * PAGE, b, RW);
		record(t, "map_limit", "%ld", r);
		CHECK(t, r == 0, "map of exactly RLIMIT_MEMLOCK: %ld", r);
		record(t, "vmlck_full", "%ld", vt_vmlck_kb());
		CHECK(t, vt_vmlck_kb() == 64, "VmLck %ld kB, expected 64", vt_vmlck_kb());
		r = vt_map(vc.c, 0x200000, PAGE, b + 16 * PAGE, RW);
		record(t, "map_one_more", "%ld", r);
		CHECK(t, r == -ENOMEM, "map beyond RLIMIT_MEMLOCK: %ld", r);
		record(t, "vmlck_after_refusal", "%ld", vt_vmlck_kb());
		r = vt_unmap(vc.c, 0x100000, 16 * PAGE, 0, &unmapped);
		record(t, "unmap", "%ld %#llx", r, (unsigned long long)unmapped);
		record(t, "vmlck_after_unmap", "%ld", vt_vmlck_kb());
		CHECK(t, vt_vmlck_kb() == 0, "VmLck %ld kB after unmap", vt_vmlck_kb());
		/* A map that fails part way leaves nothing charged. */
		r = vt_map(vc.c, 0x300000, 32 * PAGE, b, RW);
		record(t, "map_over", "%ld", r);
		record(t, "vmlck_after_over", "%ld", vt_vmlck_kb());
		CHECK(t, r == -ENOMEM && vt_vmlck_kb() == 0,
		      "failed map left VmLck %ld kB", vt_vmlck_kb());
		record(t, "map_again", "%ld", vt_map(vc.c, 0x100000, 16 * PAGE, b, RW));
		vt_close(&vc);
		/* Release of the container unaccounts what was left mapped. */
		record(t, "vmlck_after_close", "%ld", vt_vmlck_kb());
		CHECK(t, vt_vmlck_kb() == 0, "VmLck %ld kB after close", vt_vmlck_kb());
child_out:
		fflush(t->out);
		if (t->why[0])
			fprintf(t->out, "case %s fail %s\n", t->name, t->why);
		fflush(t->out);
		_exit(0);
	}
	CHECK(t, pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	      "child did not exit cleanly");
	chmod(path, 0600);
	/* The child cannot read debugfs: its refusals must be in the kernel log. */
	if (!strcmp(t->backend, "vfio_iommu_iova")) {
		char who[32];

		snprintf(who, sizeof(who), "(pid %d ", pid);
		CHECK(t, vt_klog_has(who, "map refused (-ENOMEM, memlock): 4 kB more") &&
		      vt_klog_has(who, "RLIMIT_MEMLOCK is 64 kB"),
		      "no kernel log line for the refusal at RLIMIT_MEMLOCK");
	}
}

/* CAP_IPC_LOCK (root) maps past RLIMIT_MEMLOCK; locked_vm still counts it. */
void case_memlock_cap(struct ctx *t)
{
	int status;
	pid_t pid;

	fflush(t->out);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 16 * PAGE, 16 * PAGE };
		struct vt_cont vc;
		uint64_t b, unmapped = 0;
		long r;

		b = (uintptr_t)vt_buffer(32 * PAGE);
		if (!b || setrlimit(RLIMIT_MEMLOCK, &rl) || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
			goto child_out;
		r = vt_map(vc.c, 0x100000, 32 * PAGE, b, RW);
		record(t, "map_over_limit", "%ld", r);
		CHECK(t, r == 0, "CAP_IPC_LOCK must bypass RLIMIT_MEMLOCK: %ld", r);
		record(t, "vmlck", "%ld", vt_vmlck_kb());
		r = vt_unmap(vc.c, 0x100000, 32 * PAGE, 0, &unmapped);
		record(t, "unmap", "%ld %#llx", r, (unsigned long long)unmapped);
		record(t, "vmlck_after_unmap", "%ld", vt_vmlck_kb());
		vt_close(&vc);
child_out:
		if (t->why[0])
			fprintf(t->out, "case %s fail %s\n", t->name, t->why);
		fflush(t->out);
		_exit(0);
	}
	CHECK(t, pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	      "child did not exit cleanly");
}

/*
 * The process that made the mappings exits while another one holds the
 * container: its pages are still unmapped, unpinned (and uncharged from an
 * mm that is gone) when the holder unmaps them and when it closes.
 */
void case_owner_exit(struct ctx *t)
{
	long r, vmlck = vt_vmlck_kb();
	struct vt_cont vc;
	uint64_t unmapped = 0;
	int status;
	pid_t pid;

	if (vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	fflush(t->out);
	pid = fork();
	if (pid == 0) {
		uint64_t b = (uintptr_t)vt_buffer(32 * PAGE);

		record(t, "child_map_a", "%ld", vt_map(vc.c, 0x100000, 16 * PAGE, b, RW));
		record(t, "child_map_b", "%ld", vt_map(vc.c, 0x200000, 16 * PAGE,
						       b + 16 * PAGE, RW));
		fflush(t->out);
		_exit(0);	/* exits with both mapped */
	}
	CHECK(t, pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	      "child did not exit cleanly");
	r = vt_unmap(vc.c, 0x100000, 16 * PAGE, 0, &unmapped);
	record(t, "unmap_after_owner_exit", "%ld %#llx", r, (unsigned long long)unmapped);
	CHECK(t, r == 0 && unmapped == 16 * PAGE, "unmap after the owner exited: %ld %#llx",
	      r, (unsigned long long)unmapped);
	/* Nothing is charged to the holder (a delta: see top-of-address-space). */
	record(t, "vmlck_holder_delta", "%ld", vt_vmlck_kb() - vmlck);
	vt_close(&vc);	/* and the second mapping goes with the container */
}

/* disable_hugepages: mapping page by page gives the same answers. */
void case_disable_hugepages(struct ctx *t)
{
	struct vt_cont vc;
	uint64_t unmapped = 0;
	long old, r;
	char *buf;

	old = vt_set_param(t->backend, "disable_hugepages", 1);
	CHECK(t, old >= 0, "cannot set %s.disable_hugepages", t->backend);
	buf = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (old < 0 || buf == MAP_FAILED || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		goto out;
	/* A 2 MiB-aligned, transparently huge (where THP is on) region. */
	buf = (char *)(((uintptr_t)buf + (2 << 20) - 1) & ~((2UL << 20) - 1));
	madvise(buf, 4 << 20, MADV_HUGEPAGE);
	memset(buf, 1, 4 << 20);
	r = vt_map(vc.c, 0x40000000, 4 << 20, (uintptr_t)buf, RW);
	record(t, "map_4m", "%ld", r);
	CHECK(t, r == 0, "map with disable_hugepages: %ld", r);
	r = vt_unmap(vc.c, 0x40000000, 4 << 20, 0, &unmapped);
	record(t, "unmap_4m", "%ld %#llx", r, (unsigned long long)unmapped);
	vt_close(&vc);
out:
	if (old >= 0)
		vt_set_param(t->backend, "disable_hugepages", old);
}

/* Write a number to a /proc/sys file; the old value, or -1. */
static long sysctl_set(const char *path, long v)
{
	long old = -1;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%ld", &old) != 1)
		old = -1;
	if (f)
		fclose(f);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", v);
	return fclose(f) ? -1 : old;
}

/*
 * Accounting of shared and large pages: one page mapped at two IOVAs, a
 * mapping unmapped by another process while its owner lives, and a map of
 * hugetlbfs memory.
 */
void case_accounting_shared(struct ctx *t)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	long base = vt_vmlck_kb(), pins = vt_foll_pins(), old, r;
	uint64_t n = 0;
	struct vt_cont vc;
	int status;
	char *b, *h;
	pid_t pid;

	b = vt_buffer(2 * PAGE);
	if (!b || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	record(t, "map_a", "%ld", vt_map(vc.c, 0x100000, PAGE, (uintptr_t)b, RW));
	record(t, "map_same_page", "%ld", vt_map(vc.c, 0x200000, PAGE, (uintptr_t)b, RW));
	record(t, "vmlck_two_iovas", "%ld", vt_vmlck_kb() - base);
	record(t, "pins_two_iovas", "%ld", vt_foll_pins() - pins);

	/* Another process unmaps it: the charge leaves the owner, who lives on. */
	fflush(t->out);
	pid = fork();
	if (pid == 0) {
		uint64_t done = 0;

		_exit(vt_unmap(vc.c, 0x200000, PAGE, 0, &done) || done != PAGE);
	}
	r = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ?
	    WEXITSTATUS(status) : -1;
	record(t, "unmap_by_another", "%ld", r);
	record(t, "vmlck_after_unmap_by_another", "%ld", vt_vmlck_kb() - base);

	/* hugetlbfs: 2 MiB pages, pinned and charged 4 KiB at a time. */
	old = sysctl_set(nr, 4);
	CHECK(t, old >= 0, "cannot set %s", nr);
	h = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	CHECK(t, h != MAP_FAILED, "no hugetlbfs page: %s", strerror(errno));
	if (h != MAP_FAILED) {
		record(t, "map_huge", "%ld", vt_map(vc.c, 0x400000, 2 << 20, (uintptr_t)h, RW));
		record(t, "vmlck_huge", "%ld", vt_vmlck_kb() - base);
		record(t, "pins_huge", "%ld", vt_foll_pins() - pins);
		r = vt_unmap(vc.c, 0x400000, 2 << 20, 0, &n);
		record(t, "unmap_huge", "%ld %#llx", r, (unsigned long long)n);
		munmap(h, 2 << 20);
	}
	if (old >= 0)
		sysctl_set(nr, old);
	vt_close(&vc);
	record(t, "vmlck_end", "%ld", vt_vmlck_kb() - base);
	record(t, "pins_end", "%ld", vt_foll_pins() - pins);
	CHECK(t, vt_vmlck_kb() == base && vt_foll_pins() == pins,
	      "VmLck %ld kB, %ld pages pinned left", vt_vmlck_kb() - base, vt_foll_pins() - pins);
	munmap(b, 2 * PAGE);
}
