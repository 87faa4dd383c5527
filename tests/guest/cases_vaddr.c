// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: live update (VFIO_UPDATE_VADDR): invalidating and restoring
 * the user addresses of mappings, and what is refused meanwhile.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define INVALIDATE VFIO_DMA_UNMAP_FLAG_VADDR
#define EXT_UPDATE_VADDR ((void *)VFIO_UPDATE_VADDR)

static long set_vaddr(int c, uint64_t iova, uint64_t size, uint64_t vaddr)
{
	return vt_map(c, iova, size, vaddr, VFIO_DMA_MAP_FLAG_VADDR);
}

/*
 * Invalidate every vaddr, then unmap everything (invalid or not), each
 * recorded; the unmap's result, and in *@n its byte count.
 */
static long invalidate_then_unmap_all(struct ctx *t, int c, uint64_t *n)
{
	long r;

	*n = 0;
	r = vt_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL | INVALIDATE, n);
	record(t, "invalidate_all", "%ld %#llx", r, (unsigned long long)*n);
	*n = 0;
	r = vt_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, n);
	record(t, "unmap_all", "%ld %#llx", r, (unsigned long long)*n);
	return r;
}

void case_update_vaddr(struct ctx *t)
{
	uint64_t b1, b2, n = 0;
	long r, base = vt_vmlck_kb();
	struct vt_cont vc;
	char path[64];
	int g2, status;
	pid_t pid;

	b1 = (uintptr_t)vt_buffer(8 * PAGE);
	b2 = (uintptr_t)vt_buffer(8 * PAGE);
	if (!b1 || !b2 || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	record(t, "extension", "%ld", xioctl(vc.c, VFIO_CHECK_EXTENSION, EXT_UPDATE_VADDR));
	record(t, "map_a", "%ld", vt_map(vc.c, 0x100000, 4 * PAGE, b1, RW));
	record(t, "map_b", "%ld", vt_map(vc.c, 0x200000, 2 * PAGE, b1 + 4 * PAGE, RW));

	r = vt_unmap(vc.c, 0x100000, 4 * PAGE, INVALIDATE, &n);
	record(t, "invalidate_a", "%ld %#llx", r, (unsigned long long)n);
	CHECK(t, r == 0 && n == 4 * PAGE, "invalidate: %ld %#llx", r, (unsigned long long)n);
	r = vt_unmap(vc.c, 0x100000, 4 * PAGE, INVALIDATE, NULL);
	refused(t, "invalidate_a_again", r, "state");
	r = vt_unmap(vc.c, 0x100000, 0x102000, INVALIDATE, NULL);
	record(t, "invalidate_a_and_b", "%ld", r);
	record(t, "set_vaddr_valid_b", "%ld", set_vaddr(vc.c, 0x200000, 2 * PAGE, b2));
	refused(t, "set_vaddr_nothing", set_vaddr(vc.c, 0x300000, PAGE, b2), "not_mapped");
	refused(t, "set_vaddr_wrong_size", set_vaddr(vc.c, 0x100000, 2 * PAGE, b2), "split");
	refused(t, "set_vaddr_unaligned", set_vaddr(vc.c, 0x100000, 4 * PAGE, b2 + 8),
		"misaligned");
	record(t, "map_new_meanwhile", "%ld", vt_map(vc.c, 0x400000, PAGE, b2, RW));

	/* A group cannot join while a vaddr is invalid. */
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group2);
	g2 = t->group2 >= 0 ? open(path, O_RDWR) : -1;
	if (g2 >= 0) {
		r = xioctl(g2, VFIO_GROUP_SET_CONTAINER, &vc.c);
		refused(t, "attach_while_invalid", r, "state");
		xioctl(g2, VFIO_GROUP_UNSET_CONTAINER, NULL);
	}
	r = set_vaddr(vc.c, 0x100000, 4 * PAGE, b2);
	record(t, "set_vaddr_a", "%ld", r);
	CHECK(t, r == 0, "restoring the vaddr: %ld", r);
	if (g2 >= 0) {
		record(t, "attach_when_valid", "%ld", xioctl(g2, VFIO_GROUP_SET_CONTAINER, &vc.c));
		xioctl(g2, VFIO_GROUP_UNSET_CONTAINER, NULL);
		close(g2);
	}

	/* Another process takes the mapping over: the charge moves with it. */
	record(t, "vmlck_before", "%ld", vt_vmlck_kb() - base);
	record(t, "invalidate_b", "%ld", vt_unmap(vc.c, 0x200000, 2 * PAGE, INVALIDATE, NULL));
	fflush(t->out);
	pid = fork();
	if (pid == 0) {
		uint64_t mine = (uintptr_t)vt_buffer(2 * PAGE);

		record(t, "child_set_vaddr_b", "%ld", set_vaddr(vc.c, 0x200000, 2 * PAGE, mine));
		record(t, "child_vmlck", "%ld", vt_vmlck_kb());
		fflush(t->out);
		_exit(0);
	}
	CHECK(t, pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child");
	record(t, "vmlck_after_takeover", "%ld", vt_vmlck_kb() - base);

	/* Everything at once, then unmap everything, invalid or not. */
	invalidate_then_unmap_all(t, vc.c, &n);
	record(t, "vmlck_end", "%ld", vt_vmlck_kb() - base);
	vt_close(&vc);
}

/* No vaddr update where emulated users are attached. */
void case_update_vaddr_emulated(struct ctx *t)
{
	struct vt_cont vc;
	uint64_t b = (uintptr_t)vt_buffer(PAGE);

	CHECK(t, t->mdev_group >= 0, "this scenario needs the test mdev");
	if (!b || t->mdev_group < 0 ||
	    vt_open_group(t, &vc, t->mdev_group, VFIO_TYPE1v2_IOMMU))
		return;
	record(t, "extension", "%ld", xioctl(vc.c, VFIO_CHECK_EXTENSION, EXT_UPDATE_VADDR));
	record(t, "map", "%ld", vt_map(vc.c, 0x100000, PAGE, b, RW));
	record(t, "invalidate", "%ld", vt_unmap(vc.c, 0x100000, PAGE, INVALIDATE, NULL));
	record(t, "invalidate_all", "%ld",
	       vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL | INVALIDATE, NULL));
	vt_close(&vc);
}

/* Live update on a type1 (v1) container: the same calls, v1's unmap rules. */
void case_update_vaddr_type1(struct ctx *t)
{
	uint64_t b = (uintptr_t)vt_buffer(4 * PAGE), n = 0;
	struct vt_cont vc;
	long r;

	if (!b || vt_open(t, &vc, VFIO_TYPE1_IOMMU))
		return;
	record(t, "extension", "%ld", xioctl(vc.c, VFIO_CHECK_EXTENSION, EXT_UPDATE_VADDR));
	record(t, "unmap_all_extension", "%ld",
	       xioctl(vc.c, VFIO_CHECK_EXTENSION, (void *)VFIO_UNMAP_ALL));
	record(t, "map_a", "%ld", vt_map(vc.c, 0x100000, 2 * PAGE, b, RW));
	record(t, "map_b", "%ld", vt_map(vc.c, 0x200000, 2 * PAGE, b + 2 * PAGE, RW));
	r = vt_unmap(vc.c, 0x100000, 2 * PAGE, INVALIDATE, &n);
	record(t, "invalidate_a", "%ld %#llx", r, (unsigned long long)n);
	/* v1 unmaps may split: an invalidation of part of a mapping. */
	n = 0;
	r = vt_unmap(vc.c, 0x201000, PAGE, INVALIDATE, &n);
	record(t, "invalidate_part_of_b", "%ld %#llx", r, (unsigned long long)n);
	record(t, "set_vaddr_a", "%ld", set_vaddr(vc.c, 0x100000, 2 * PAGE, b));
	r = invalidate_then_unmap_all(t, vc.c, &n);
	CHECK(t, r == 0 && n == 4 * PAGE, "UNMAP_ALL of a type1 container: %ld %#llx", r,
	      (unsigned long long)n);
	vt_close(&vc);
}

/*
 * The container closed, or its owner gone, while vaddrs are invalid: the
 * pages still pinned for them must be unpinned and uncharged all the same.
 */
void case_update_vaddr_abandoned(struct ctx *t)
{
	long pins = vt_foll_pins(), vmlck = vt_vmlck_kb(), r;
	uint64_t b = (uintptr_t)vt_buffer(4 * PAGE);
	struct vt_cont vc;
	int status;
	pid_t pid;

	if (!b || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	record(t, "map", "%ld", vt_map(vc.c, 0x100000, 4 * PAGE, b, RW));
	record(t, "invalidate", "%ld", vt_unmap(vc.c, 0x100000, 4 * PAGE, INVALIDATE, NULL));
	vt_close(&vc);
	record(t, "pins_after_close", "%ld", vt_foll_pins() - pins);
	record(t, "vmlck_after_close", "%ld", vt_vmlck_kb() - vmlck);
	CHECK(t, vt_foll_pins() == pins && vt_vmlck_kb() == vmlck,
	      "closed while invalid: %ld pages pinned, VmLck %ld kB left",
	      vt_foll_pins() - pins, vt_vmlck_kb() - vmlck);

	/* A child maps, invalidates and exits: its container goes with it. */
	fflush(t->out);
	pid = fork();
	if (pid == 0) {
		struct vt_cont cc;

		if (vt_open(t, &cc, VFIO_TYPE1v2_IOMMU) ||
		    vt_map(cc.c, 0x100000, 4 * PAGE, b, RW) ||
		    vt_unmap(cc.c, 0x100000, 4 * PAGE, INVALIDATE, NULL))
			_exit(1);
		_exit(0);	/* the fds close with the process */
	}
	r = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ?
	    WEXITSTATUS(status) : -1;
	record(t, "child", "%ld", r);
	record(t, "pins_after_exit", "%ld", vt_foll_pins() - pins);
	CHECK(t, vt_foll_pins() == pins, "the owner exited while invalid: %ld pages pinned",
	      vt_foll_pins() - pins);
}
