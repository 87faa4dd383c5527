// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: emulated IOMMU users (the test mdev of tests/mdev/): pinning,
 * dma_rw, the unmap notification, and how pins are charged to locked_vm
 * with and without an IOMMU domain in the container.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define PROT_RW 3	/* IOMMU_READ | IOMMU_WRITE, as vfio_pin_pages() takes it */

/* Send a command to the test mdev; returns its result, and the sum for reads. */
long mdev_cmd(struct ctx *t, unsigned long *sum, const char *fmt, ...)
{
	char path[128], buf[64];
	long ret = -9999;
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/vfio_iova_test_mdev/%s/cmd", t->mdev_uuid);
	f = fopen(path, "w");
	if (!f)
		return ret;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f))
		return ret;
	snprintf(path, sizeof(path), "/sys/devices/vfio_iova_test_mdev/%s/result", t->mdev_uuid);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f)) {
		unsigned long s = 0;

		if (sscanf(buf, "%ld %lu", &ret, &s) != 2)
			ret = -9998;
		if (sum)
			*sum = s;
	}
	if (f)
		fclose(f);
	return ret;
}

static long mdev_unmap_calls(struct ctx *t)
{
	char path[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/vfio_iova_test_mdev/%s/unmap_calls",
		 t->mdev_uuid);
	f = fopen(path, "r");
	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

/* A container with the test mdev only, and its device open. */
int mdev_open(struct ctx *t, struct vt_cont *vc, unsigned long type, int *dev)
{
	CHECK(t, t->mdev_group >= 0 && t->mdev_uuid, "this scenario needs the test mdev");
	if (t->mdev_group < 0 || !t->mdev_uuid ||
	    vt_open_group(t, vc, t->mdev_group, type))
		return -1;
	*dev = xioctl(vc->g, VFIO_GROUP_GET_DEVICE_FD, (void *)t->mdev_uuid);
	CHECK(t, *dev >= 0, "VFIO_GROUP_GET_DEVICE_FD(%s): %d", t->mdev_uuid, *dev);
	if (*dev < 0) {
		vt_close(vc);
		return -1;
	}
	return 0;
}

void case_emulated_pin(struct ctx *t)
{
	long base = vt_vmlck_kb();	/* deltas: see top-of-address-space */
	struct vt_cont vc;
	unsigned long sum = 0;
	pid_t pid;
	uint64_t unmapped = 0;
	long r, calls;
	char *buf, *ro;
	int dev;

	buf = vt_buffer(8 * PAGE);
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!buf || ro == MAP_FAILED || mdev_open(t, &vc, VFIO_TYPE1v2_IOMMU, &dev))
		return;
	memset(buf, 3, 8 * PAGE);
	record(t, "map", "%ld", vt_map(vc.c, 0x100000, 4 * PAGE, (uintptr_t)buf, RW));
	record(t, "map_ro", "%ld", vt_map(vc.c, 0x200000, PAGE, (uintptr_t)ro,
					  VFIO_DMA_MAP_FLAG_READ));
	record(t, "vmlck_mapped", "%ld", vt_vmlck_kb() - base);

	r = mdev_cmd(t, NULL, "pin 100000 2 %d", PROT_RW);
	record(t, "pin", "%ld", r);
	CHECK(t, r == 2, "pin of two pages: %ld", r);
	record(t, "vmlck_pinned", "%ld", vt_vmlck_kb() - base);
	record(t, "pin_again", "%ld", mdev_cmd(t, NULL, "pin 100000 2 %d", PROT_RW));
	record(t, "vmlck_pinned_twice", "%ld", vt_vmlck_kb() - base);
	refused(t, "pin_unmapped", mdev_cmd(t, NULL, "pin 900000 1 %d", PROT_RW), "not_mapped");
	refused(t, "pin_write_to_ro", mdev_cmd(t, NULL, "pin 200000 1 %d", PROT_RW), "permission");
	record(t, "pin_read_ro", "%ld", mdev_cmd(t, NULL, "pin 200000 1 1"));
	refused(t, "pin_straddling", mdev_cmd(t, NULL, "pin 103000 2 %d", PROT_RW), "not_mapped");

	r = mdev_cmd(t, &sum, "read 100000 20");
	record(t, "dma_read", "%ld sum=%lu", r, sum);
	CHECK(t, r == 0 && sum == 3 * 0x20, "dma_rw read: %ld, sum %lu", r, sum);
	sum = 0;
	r = mdev_cmd(t, &sum, "kread 100000 20");
	record(t, "dma_read_kthread", "%ld sum=%lu", r, sum);
	CHECK(t, r == 0 && sum == 3 * 0x20, "dma_rw read from a kernel thread: %ld, sum %lu", r,
	      sum);
	/* From a process that is not the mapping's: its memory is not there. */
	fflush(t->out);
	pid = fork();
	if (pid == 0) {
		record(t, "dma_read_other_process", "%ld", mdev_cmd(t, NULL, "read 100000 20"));
		fflush(t->out);
		_exit(0);
	}
	CHECK(t, pid > 0 && waitpid(pid, NULL, 0) == pid, "fork");
	r = mdev_cmd(t, NULL, "write 101ff0 20 119");	/* across a page boundary */
	record(t, "dma_write", "%ld", r);
	CHECK(t, r == 0 && buf[0x1ff0] == 119 && buf[0x200f] == 119 && buf[0x2010] == 3,
	      "dma_rw write did not land in the mapping: %ld", r);
	refused(t, "dma_write_ro", mdev_cmd(t, NULL, "write 200000 10 1"), "permission");
	refused(t, "dma_read_unmapped", mdev_cmd(t, NULL, "read 900000 10"), "not_mapped");
	refused(t, "dma_read_past_end", mdev_cmd(t, NULL, "read 103ff0 20"), "not_mapped");

	/* Unmap asks the driver to drop its pins first. */
	calls = mdev_unmap_calls(t);
	r = vt_unmap(vc.c, 0x100000, 4 * PAGE, 0, &unmapped);
	record(t, "unmap_pinned", "%ld %#llx", r, (unsigned long long)unmapped);
	CHECK(t, r == 0 && unmapped == 4 * PAGE, "unmap of a pinned mapping: %ld", r);
	record(t, "driver_asked", "%d", mdev_unmap_calls(t) > calls);
	record(t, "vmlck_after_unmap", "%ld", vt_vmlck_kb() - base);
	close(dev);
	vt_close(&vc);
	record(t, "vmlck_after_close", "%ld", vt_vmlck_kb() - base);
	munmap(buf, 8 * PAGE);
	munmap(ro, PAGE);
}

/* Emulated pinning is for type1v2 containers only. */
void case_emulated_pin_v1(struct ctx *t)
{
	struct vt_cont vc;
	char *buf = vt_buffer(PAGE);
	int dev;

	if (!buf || mdev_open(t, &vc, VFIO_TYPE1_IOMMU, &dev))
		return;
	record(t, "map", "%ld", vt_map(vc.c, 0x100000, PAGE, (uintptr_t)buf, RW));
	record(t, "pin", "%ld", mdev_cmd(t, NULL, "pin 100000 1 %d", PROT_RW));
	record(t, "read", "%ld", mdev_cmd(t, NULL, "read 100000 10"));
	close(dev);
	vt_close(&vc);
	munmap(buf, PAGE);
}

/*
 * Pins charged without a domain are not charged again when a real group
 * brings one, and stay charged when it leaves.
 */
void case_emulated_accounting(struct ctx *t)
{
	long base = vt_vmlck_kb();
	struct vt_cont vc;
	char path[64], *buf;
	int dev, g;

	buf = vt_buffer(8 * PAGE);
	if (!buf || mdev_open(t, &vc, VFIO_TYPE1v2_IOMMU, &dev))
		return;
	record(t, "map", "%ld", vt_map(vc.c, 0x100000, 8 * PAGE, (uintptr_t)buf, RW));
	record(t, "pin", "%ld", mdev_cmd(t, NULL, "pin 100000 2 %d", PROT_RW));
	record(t, "vmlck_pinned", "%ld", vt_vmlck_kb() - base);

	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group);
	g = open(path, O_RDWR);
	CHECK(t, g >= 0, "open %s", path);
	if (g >= 0) {
		record(t, "attach_edu", "%ld", xioctl(g, VFIO_GROUP_SET_CONTAINER, &vc.c));
		record(t, "vmlck_with_domain", "%ld", vt_vmlck_kb() - base);
		record(t, "pin_with_domain", "%ld", mdev_cmd(t, NULL, "pin 104000 1 %d", PROT_RW));
		record(t, "vmlck_pin_with_domain", "%ld", vt_vmlck_kb() - base);
		record(t, "detach_edu", "%ld", xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL));
		record(t, "vmlck_after_detach", "%ld", vt_vmlck_kb() - base);
		close(g);
	}
	record(t, "unpin", "%ld", mdev_cmd(t, NULL, "unpin 100000 2"));
	record(t, "vmlck_after_unpin", "%ld", vt_vmlck_kb() - base);
	record(t, "unmap_all", "%ld", vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	record(t, "vmlck_after_unmap", "%ld", vt_vmlck_kb() - base);
	CHECK(t, vt_vmlck_kb() == base, "VmLck %ld kB left", vt_vmlck_kb() - base);
	close(dev);
	vt_close(&vc);
	munmap(buf, 8 * PAGE);
}

/*
 * A driver that keeps its pins when asked: the unmap is refused with EBUSY
 * and the mapping stays (the stock backend BUG()s here, so ours only).
 */
void case_ours_emulated_stubborn(struct ctx *t)
{
	uint64_t unmapped = 0;
	struct vt_cont vc;
	char *buf = vt_buffer(PAGE);
	long r;
	int dev;

	if (!buf || mdev_open(t, &vc, VFIO_TYPE1v2_IOMMU, &dev))
		return;
	CHECK(t, !vt_map(vc.c, 0x100000, PAGE, (uintptr_t)buf, RW), "map");
	CHECK(t, mdev_cmd(t, NULL, "pin 100000 1 %d", PROT_RW) == 1, "pin");
	mdev_cmd(t, NULL, "stubborn 1");
	r = vt_unmap(vc.c, 0x100000, PAGE, 0, &unmapped);
	CHECK(t, r == -EBUSY, "unmap while the driver keeps its pin: %ld", r);
	CHECK(t, vt_klog_has("unmap refused (-EBUSY, state): emulated devices keep pages",
			     "of mapping [0x100000-0x100fff] pinned"),
	      "no log line for the refused unmap");
	vt_expect_refusal(t, "unmap", r, "state");
	mdev_cmd(t, NULL, "stubborn 0");
	r = vt_unmap(vc.c, 0x100000, PAGE, 0, &unmapped);
	CHECK(t, r == 0 && unmapped == PAGE, "unmap once the driver lets go: %ld", r);
	close(dev);
	vt_close(&vc);
	munmap(buf, PAGE);
}

/*
 * A driver's VM_IO | VM_MIXEDMAP mapping without VM_PFNMAP (the test mdev's
 * mmap) as the vaddr of a map: it cannot be pinned, and it is not the
 * device memory a backend may map without holding a reference: EFAULT.
 */
void case_vaddr_io_mixedmap(struct ctx *t)
{
	long vmlck = vt_vmlck_kb(), pins = vt_foll_pins(), r;
	struct vt_cont mc, vc;
	uint64_t unmapped = 0;
	void *io;
	int dev;

	if (mdev_open(t, &mc, VFIO_TYPE1v2_IOMMU, &dev))
		return;
	io = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	CHECK(t, io != MAP_FAILED, "mmap of the test mdev: %s", strerror(errno));
	if (io != MAP_FAILED && !vt_open(t, &vc, VFIO_TYPE1v2_IOMMU)) {
		r = vt_map(vc.c, 0x100000, PAGE, (uintptr_t)io, RW);
		record(t, "map", "%ld", r);
		CHECK(t, r == -EFAULT, "map of a VM_IO | VM_MIXEDMAP page: %ld, not EFAULT", r);
		record(t, "vmlck", "%ld", vt_vmlck_kb() - vmlck);
		record(t, "pins", "%ld", vt_foll_pins() - pins);
		if (!r)
			vt_unmap(vc.c, 0x100000, PAGE, 0, &unmapped);
		vt_close(&vc);
	}
	if (io != MAP_FAILED)
		munmap(io, PAGE);
	close(dev);
	vt_close(&mc);
}

/*
 * Pins that would run past the top of the address space, where a page may
 * be mapped (a container of emulated groups only has no aperture): they
 * must not wrap to IOVA 0 and pin a page of another mapping there.
 * Mainline answers EOVERFLOW; Debian's older stock backends wrap.
 */
void case_emulated_pin_top(struct ctx *t)
{
	const bool ours = !strcmp(t->backend, "vfio_iommu_iova");
	const uint64_t top = -PAGE;
	long vmlck = vt_vmlck_kb(), r;
	uint64_t unmapped = 0;
	struct vt_cont vc;
	char *buf;
	int dev;

	buf = vt_buffer(2 * PAGE);
	if (!buf || mdev_open(t, &vc, VFIO_TYPE1v2_IOMMU, &dev))
		return;
	record(t, "map_top", "%ld", vt_map(vc.c, top, PAGE, (uintptr_t)buf, RW));
	record(t, "map_zero", "%ld", vt_map(vc.c, 0, PAGE, (uintptr_t)buf + PAGE, RW));
	/*
	 * Unpin only what was pinned: the older stock backends cannot find a
	 * mapping at the top page, and WARN when asked to unpin it.
	 */
	r = mdev_cmd(t, NULL, "pin %llx 1 %d", (unsigned long long)top, PROT_RW);
	record(t, "pin_top", "%ld", r);
	if (ours)
		CHECK(t, r == 1, "pin of the top page: %ld", r);
	if (r == 1)
		mdev_cmd(t, NULL, "unpin %llx 1", (unsigned long long)top);
	r = mdev_cmd(t, NULL, "pin %llx 2 %d", (unsigned long long)top, PROT_RW);
	refused(t, "pin_wraps", r, "wraps");
	if (ours)
		CHECK(t, r == -EOVERFLOW, "pin of 2 pages from the top: %ld, not EOVERFLOW", r);
	if (r == 2)
		mdev_cmd(t, NULL, "unpin %llx 2", (unsigned long long)top);
	r = mdev_cmd(t, NULL, "read %llx 2000", (unsigned long long)top);
	refused(t, "read_wraps", r, NULL);
	r = vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped);
	record(t, "unmap_all", "%ld %#llx", r, (unsigned long long)unmapped);
	record(t, "vmlck_after", "%ld", vt_vmlck_kb() - vmlck);
	close(dev);
	vt_close(&vc);
	munmap(buf, 2 * PAGE);
}
