// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: real DMA through the IOMMU with QEMU's edu device.
 *
 * edu's DMA engine (BAR0: 0x80 source, 0x88 destination, 0x90 count, 0x98
 * command; a 4 KiB buffer at device address 0x40000) copies between its
 * buffer and an IOVA.  Its default dma_mask is 28 bits, so IOVAs stay below
 * 256 MiB, and each transfer takes about 100 ms of virtual time.  QEMU 7.2's
 * edu aborts on a transfer that ends exactly at the end of its buffer (an
 * off-by-one in its range check), so transfers are half a page.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"

#define EDU_SRC 0x80
#define EDU_DST 0x88
#define EDU_CNT 0x90
#define EDU_CMD 0x98
#define EDU_CMD_START 1
#define EDU_CMD_TO_RAM 2
#define EDU_BUF 0x40000
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define XFER EDU_XFER

#define IOVA_SRC 0x1000000ULL
#define IOVA_DST 0x2000000ULL
#define IOVA_RO 0x3000000ULL

static volatile uint64_t *reg(volatile char *bar, unsigned int off)
{
	return (volatile uint64_t *)(bar + off);
}

/* Run one transfer and wait for the engine; 0 when it finished. */
static int edu_dma(volatile char *bar, uint64_t src, uint64_t dst, uint64_t cmd)
{
	int i;

	*reg(bar, EDU_SRC) = src;
	*reg(bar, EDU_DST) = dst;
	*reg(bar, EDU_CNT) = XFER;
	*reg(bar, EDU_CMD) = cmd | EDU_CMD_START;
	for (i = 0; i < 1000; i++) {
		if (!(*reg(bar, EDU_CMD) & EDU_CMD_START))
			return 0;
		usleep(10000);
	}
	return -1;
}

static int all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

int edu_open(struct ctx *t, int group_fd, const char *bdf, struct edu *e)
{
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0),
					 .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	unsigned short cmd;

	e->bar = MAP_FAILED;
	e->fd = xioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf);
	CHECK(t, e->fd >= 0, "VFIO_GROUP_GET_DEVICE_FD(%s): %d", bdf, e->fd);
	if (e->fd < 0)
		return -1;
	CHECK(t, !xioctl(e->fd, VFIO_DEVICE_GET_REGION_INFO, &cfg) &&
	      !xioctl(e->fd, VFIO_DEVICE_GET_REGION_INFO, &bar0), "region info");
	/* Bus mastering on, or the device's DMA goes nowhere. */
	if (pread(e->fd, &cmd, 2, cfg.offset + 4) == 2) {
		cmd |= 4;
		CHECK(t, pwrite(e->fd, &cmd, 2, cfg.offset + 4) == 2, "enable bus master");
	}
	e->bar_size = bar0.size;
	e->bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, bar0.offset);
	CHECK(t, e->bar != MAP_FAILED, "mmap BAR0 of %s", bdf);
	return e->bar == MAP_FAILED ? -1 : 0;
}

void edu_close(struct edu *e)
{
	if (e->bar != MAP_FAILED)
		munmap((void *)e->bar, e->bar_size);
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	e->bar = MAP_FAILED;
}

/* Copy half a page from IOVA @from to IOVA @to through the device. */
int edu_copy(struct edu *e, uint64_t from, uint64_t to)
{
	return edu_dma(e->bar, from, EDU_BUF, 0) || edu_dma(e->bar, EDU_BUF, to, EDU_CMD_TO_RAM);
}

/*
 * Clear @dst, have @e copy IOVA_SRC to IOVA_DST, and record and check
 * that @src's data arrived in @dst.
 */
static void edu_expect_copy(struct ctx *t, struct edu *e, const unsigned char *src,
			    unsigned char *dst, const char *key, const char *why)
{
	long r;

	memset(dst, 0, PAGE);
	r = !edu_copy(e, IOVA_SRC, IOVA_DST) && !memcmp(src, dst, XFER);
	record(t, key, "%ld", r);
	CHECK(t, r, "%s", why);
}

/* Route MSI vector 0 of @e to @fd (-1: tear it down); 0 or -errno. */
static long edu_msi_route(struct edu *e, int fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *irq = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	irq->argsz = sizeof(buf);
	irq->index = VFIO_PCI_MSI_IRQ_INDEX;
	irq->start = 0;
	if (fd < 0) {
		irq->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		irq->count = 0;
	} else {
		irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		irq->count = 1;
		memcpy(irq->data, &fd, sizeof(fd));
	}
	return xioctl(e->fd, VFIO_DEVICE_SET_IRQS, irq);
}

/*
 * An MSI from the device reaches user space through the IOMMU: edu raises
 * its interrupt, VFIO_DEVICE_SET_IRQS routed MSI vector 0 to an eventfd,
 * and the eventfd must fire.  Under an IOMMU that translates MSI writes
 * (arm64's SMMU and its software MSI window) this needs the backend to have
 * taken the domain's MSI cookie.  Twice: a second container, after the
 * first went, gets a domain (and a cookie) of its own.  A map onto the MSI
 * window is refused, and ours names the window in the kernel log.
 * Where the kernel itself refuses the MSI under every backend
 * (VFIO_TESTS_MSI_REFUSED, an errno name, from tests/scenarios.conf), the
 * set-up must fail with exactly that errno, and nothing can fire.
 */
void case_edu_msi(struct ctx *t)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_MSI_IRQ_INDEX };
	struct edu e = { -1, MAP_FAILED, 0 };
	const char *refused = getenv("VFIO_TESTS_MSI_REFUSED");
	uint64_t msi, msi_last, n;
	struct pollfd pfd;
	struct vt_cont vc;
	char key[32], what[64];
	unsigned char *b;
	int round, fired;
	long r;

	b = vt_buffer(PAGE);
	CHECK(t, !vt_msi_window(t->group, &msi, &msi_last), "group %d has no msi region", t->group);
	for (round = 0; b && round < 2; round++) {
		if (vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
			return;
		if (edu_open(t, vc.g, t->device, &e))
			goto next;
		r = xioctl(e.fd, VFIO_DEVICE_GET_IRQ_INFO, &info);
		CHECK(t, !r && info.count >= 1, "edu has no MSI vector: %ld count %u", r,
		      info.count);
		pfd.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		pfd.events = POLLIN;
		r = edu_msi_route(&e, pfd.fd);
		snprintf(key, sizeof(key), "route_%d", round);
		record(t, key, "%ld", r);
		if (refused && *refused) {
			CHECK(t, r < 0 && !strcmp(strerrorname_np((int)-r) ?: "?", refused),
			      "VFIO_DEVICE_SET_IRQS(MSI): %ld, where this kernel refuses it with %s",
			      r, refused);
			close(pfd.fd);
			goto window;
		}
		CHECK(t, !r, "VFIO_DEVICE_SET_IRQS(MSI): %ld", r);
		*(volatile uint32_t *)(e.bar + EDU_IRQ_RAISE) = 1;
		fired = poll(&pfd, 1, 10000) == 1 && read(pfd.fd, &n, sizeof(n)) == sizeof(n);
		*(volatile uint32_t *)(e.bar + EDU_IRQ_ACK) = 1;
		snprintf(key, sizeof(key), "fired_%d", round);
		record(t, key, "%d", fired);
		CHECK(t, fired, "round %d: edu's MSI did not reach the eventfd within 10 s", round);
		edu_msi_route(&e, -1);
		close(pfd.fd);
window:
		if (round)
			goto next;
		r = vt_map(vc.c, msi, PAGE, (uintptr_t)b, VFIO_DMA_MAP_FLAG_READ);
		record(t, "map_msi_window", "%ld", r);
		CHECK(t, r == -EINVAL, "a map onto the MSI window [%#llx-%#llx]: %ld",
		      (unsigned long long)msi, (unsigned long long)msi_last, r);
		if (!strcmp(t->backend, "vfio_iommu_iova")) {
			snprintf(key, sizeof(key), "range): [%#llx-", (unsigned long long)msi);
			snprintf(what, sizeof(what), "[%#llx-%#llx] (", (unsigned long long)msi,
				 (unsigned long long)msi_last);
			CHECK(t, vt_klog_has(key, what), "no log line names the window %s", what);
		}
next:
		edu_close(&e);
		vt_close(&vc);
	}
}

void case_edu_dma(struct ctx *t)
{
	struct edu e = { -1, MAP_FAILED, 0 };
	unsigned char *src, *dst;
	struct vt_cont vc;
	size_t i;
	long r;

	src = vt_buffer(PAGE);
	dst = vt_buffer(PAGE);
	if (!src || !dst || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	if (edu_open(t, vc.g, t->device, &e))
		goto out;

	for (i = 0; i < PAGE; i++)
		src[i] = (unsigned char)(i * 7 + 1);
	memset(dst, 0, PAGE);
	r = vt_map(vc.c, IOVA_SRC, PAGE, (uintptr_t)src, VFIO_DMA_MAP_FLAG_READ);
	record(t, "map_src", "%ld", r);
	r = vt_map(vc.c, IOVA_DST, PAGE, (uintptr_t)dst, VFIO_DMA_MAP_FLAG_WRITE);
	record(t, "map_dst", "%ld", r);

	/* memory -> device -> memory through two IOVAs */
	r = edu_copy(&e, IOVA_SRC, IOVA_DST);
	record(t, "transfers", "%ld", r);
	r = !memcmp(src, dst, XFER) && all_zero(dst + XFER, PAGE - XFER);
	record(t, "data_arrived", "%ld", r);
	CHECK(t, r, "the device's DMA did not copy the data through the IOMMU");

	/*
	 * After unmap, the device's write must fault, not land.  The engine
	 * finishes either way: one that never did proves nothing.
	 */
	record(t, "unmap_dst", "%ld", vt_unmap(vc.c, IOVA_DST, PAGE, 0, NULL));
	memset(dst, 0, PAGE);
	r = !edu_dma(e.bar, EDU_BUF, IOVA_DST, EDU_CMD_TO_RAM) && all_zero(dst, PAGE);
	record(t, "unmapped_write_blocked", "%ld", r);
	CHECK(t, r, "DMA to an unmapped IOVA reached memory");

	/* A read-only mapping takes no device write either. */
	record(t, "map_ro", "%ld", vt_map(vc.c, IOVA_RO, PAGE, (uintptr_t)dst,
					  VFIO_DMA_MAP_FLAG_READ));
	r = !edu_dma(e.bar, EDU_BUF, IOVA_RO, EDU_CMD_TO_RAM) && all_zero(dst, PAGE);
	record(t, "readonly_write_blocked", "%ld", r);
	CHECK(t, r, "DMA wrote through a read-only mapping");
out:
	edu_close(&e);
	vt_close(&vc);
	munmap(src, PAGE);
	munmap(dst, PAGE);
}

/*
 * Two groups in one container: the second one's domain gets the existing
 * mappings (replay, or reuse of the first domain), both devices DMA through
 * the same IOVAs, and detaching one leaves the other working.
 */
void case_two_groups(struct ctx *t)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vt_ranges before, after;
	struct edu a = { -1, MAP_FAILED, 0 }, b = { -1, MAP_FAILED, 0 };
	unsigned char *src, *dst;
	struct vt_cont vc;
	char path[64];
	int g2 = -1;
	size_t i;
	long r;

	CHECK(t, t->group2 >= 0 && t->device2, "this scenario needs a second edu device");
	src = vt_buffer(PAGE);
	dst = vt_buffer(PAGE);
	if (t->group2 < 0 || !src || !dst || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	for (i = 0; i < PAGE; i++)
		src[i] = (unsigned char)(i * 13 + 5);
	record(t, "map_src", "%ld", vt_map(vc.c, IOVA_SRC, PAGE, (uintptr_t)src,
					   VFIO_DMA_MAP_FLAG_READ));
	record(t, "map_dst", "%ld", vt_map(vc.c, IOVA_DST, PAGE, (uintptr_t)dst,
					   VFIO_DMA_MAP_FLAG_WRITE));
	vt_get_ranges(vc.c, &before);

	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group2);
	g2 = open(path, O_RDWR);
	CHECK(t, g2 >= 0, "open %s", path);
	if (g2 < 0)
		goto out;
	r = xioctl(g2, VFIO_GROUP_GET_STATUS, &st);
	r = r ?: xioctl(g2, VFIO_GROUP_SET_CONTAINER, &vc.c);
	record(t, "attach_second", "%ld", r);
	CHECK(t, r == 0, "attaching the second group: %ld", r);
	vt_get_ranges(vc.c, &after);
	record(t, "ranges_same", "%d", before.nr == after.nr &&
	       !memcmp(before.r, after.r, before.nr * sizeof(before.r[0])));
	/* Ours: one shared domain, or one each with reuse_domains=N. */
	if (!strcmp(t->backend, "vfio_iommu_iova")) {
		long reuse = vt_set_param("vfio_iommu_iova", "reuse_domains", 1);
		long domains = vt_our_stat("domains");

		vt_set_param("vfio_iommu_iova", "reuse_domains", reuse);
		CHECK(t, domains == (reuse ? 1 : 2), "%ld domains with reuse_domains=%ld",
		      domains, reuse);
	}
	if (edu_open(t, vc.g, t->device, &a) || edu_open(t, g2, t->device2, &b))
		goto out;

	edu_expect_copy(t, &b, src, dst, "second_device_dma",
			"the second group's device cannot DMA through the existing mappings");
	edu_expect_copy(t, &a, src, dst, "first_device_dma",
			"the first group's device lost its mappings");

	/* An unmap reaches every domain: no device may write there after it. */
	record(t, "unmap_dst", "%ld", vt_unmap(vc.c, IOVA_DST, PAGE, 0, NULL));
	memset(dst, 0, PAGE);
	r = !edu_dma(b.bar, EDU_BUF, IOVA_DST, EDU_CMD_TO_RAM) && all_zero(dst, PAGE);
	record(t, "second_device_blocked_after_unmap", "%ld", r);
	CHECK(t, r, "the second group's device still wrote to an unmapped IOVA");
	r = !edu_dma(a.bar, EDU_BUF, IOVA_DST, EDU_CMD_TO_RAM) && all_zero(dst, PAGE);
	record(t, "first_device_blocked_after_unmap", "%ld", r);
	CHECK(t, r, "the first group's device still wrote to an unmapped IOVA");
	record(t, "map_dst_again", "%ld", vt_map(vc.c, IOVA_DST, PAGE, (uintptr_t)dst,
						 VFIO_DMA_MAP_FLAG_WRITE));

	edu_close(&b);
	record(t, "detach_second", "%ld", xioctl(g2, VFIO_GROUP_UNSET_CONTAINER, NULL));
	vt_get_ranges(vc.c, &after);
	record(t, "ranges_after_detach", "%d", before.nr == after.nr &&
	       !memcmp(before.r, after.r, before.nr * sizeof(before.r[0])));
	edu_expect_copy(t, &a, src, dst, "first_device_after_detach",
			"the first group's device lost its mappings when the second left");
	record(t, "map_after_detach", "%ld", vt_map(vc.c, IOVA_RO, PAGE, (uintptr_t)dst,
						    VFIO_DMA_MAP_FLAG_READ));
out:
	edu_close(&a);
	edu_close(&b);
	if (g2 >= 0)
		close(g2);
	vt_close(&vc);
	munmap(src, PAGE);
	munmap(dst, PAGE);
}

/*
 * Ours only: with reuse_domains=N the second group gets a domain of its
 * own, so the existing mappings are replayed into it from the first one,
 * and unmaps must reach both domains.
 */
void case_ours_two_domains(struct ctx *t)
{
	long old = vt_set_param("vfio_iommu_iova", "reuse_domains", 0);

	CHECK(t, old >= 0, "cannot set reuse_domains");
	if (old < 0)
		return;
	case_two_groups(t);	/* which checks the number of domains */
	vt_set_param("vfio_iommu_iova", "reuse_domains", old);
}

/* Without allow_unsafe_interrupts, a group without MSI isolation is refused. */
void case_unsafe_interrupts(struct ctx *t)
{
	struct vt_cont vc;
	long old, r;

	old = vt_set_param(t->backend, "allow_unsafe_interrupts", 0);
	CHECK(t, old >= 0, "cannot set %s.allow_unsafe_interrupts", t->backend);
	if (old < 0)
		return;
	r = vt_open(t, &vc, VFIO_TYPE1v2_IOMMU) ? -1 : 0;
	if (r)
		t->why[0] = 0;	/* a refusal is an answer here, not a failure */
	else
		vt_close(&vc);
	record(t, "set_iommu_without_unsafe", "%ld", r);
	vt_set_param(t->backend, "allow_unsafe_interrupts", 1);
	r = vt_open(t, &vc, VFIO_TYPE1v2_IOMMU);
	record(t, "set_iommu_with_unsafe", "%ld", r);
	CHECK(t, r == 0, "allow_unsafe_interrupts=1 must allow the group");
	if (!r)
		vt_close(&vc);
	vt_set_param(t->backend, "allow_unsafe_interrupts", old);
}

static int open_group_fd(struct ctx *t, int group)
{
	char path[64];
	int g;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	g = open(path, O_RDWR);
	CHECK(t, g >= 0, "open %s", path);
	return g;
}

/*
 * Ours: `vfio-iova hotplug-check` of this process's container predicts an
 * attach of @group; its exit status (0 fits, 1 refused, 3 fits unless the
 * unknown aperture says otherwise), its output in @out.  -1 under the
 * stock backend, which shows no mappings to check against.
 */
static int tool_predicts(struct ctx *t, int group, char *out, size_t len)
{
	char cmd[96];
	size_t n = 0;
	FILE *f;
	int st;

	out[0] = 0;
	if (strcmp(t->backend, "vfio_iommu_iova"))
		return -1;
	snprintf(cmd, sizeof(cmd), "vfio-iova hotplug-check --pid %d %d 2>&1", getpid(), group);
	f = popen(cmd, "r");
	if (!f)
		return -2;
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
}

/* The attach answered @r where the tool predicted @p (tool_predicts()). */
static void check_prediction(struct ctx *t, const char *what, int p, long r, const char *out)
{
	if (p == -1)
		return;
	CHECK(t, (p == 0 && r == 0) || (p == 1 && r == -EINVAL) ||
	      (p == 3 && (r == 0 || r == -EINVAL)),
	      "%s: hotplug-check exit %d, the attach %ld: %.200s", what, p, r, out);
}

/*
 * A container whose only group is emulated (the test mdev) has no IOVA
 * restriction.  Mappings there that a real group's IOMMU reserves or
 * cannot reach make that group's attach fail, leaving the container as it
 * was; valid ones are pinned and mapped into the new domain (the device
 * DMAs through them); detaching the real group widens the ranges again.
 */
void case_attach_conflict(struct ctx *t)
{
	char before[1024], after[1024], buf[1024], region[128], tool[1024];
	unsigned char *src, *dst;
	struct edu e = { -1, MAP_FAILED, 0 };
	uint64_t msi = 0, msi_last = 0;
	struct vt_ranges vr;
	uint64_t unmapped;
	struct vt_cont vc;
	int g = -1, p;
	long r;

	CHECK(t, t->mdev_group >= 0, "this scenario needs the test mdev");
	/* The edu group's MSI window, whichever the architecture and IOMMU. */
	r = vt_msi_window(t->group, &msi, &msi_last);
	CHECK(t, !r, "group %d reports no msi reserved region", t->group);
	/* Ours names the type: (msi), or (sw-msi) for the SMMU's software window. */
	snprintf(region, sizeof(region), "overlaps its reserved region [%#llx-%#llx] (",
		 (unsigned long long)msi, (unsigned long long)msi_last);
	src = vt_buffer(PAGE);
	dst = vt_buffer(PAGE);
	if (r || t->mdev_group < 0 || !src || !dst ||
	    vt_open_group(t, &vc, t->mdev_group, VFIO_TYPE1v2_IOMMU))
		return;
	memset(src, 0x5a, PAGE);
	vt_get_ranges(vc.c, &vr);
	record(t, "mdev_only_ranges", "%u", vr.nr);
	r = vt_map(vc.c, msi, PAGE, (uintptr_t)src, VFIO_DMA_MAP_FLAG_READ);
	record(t, "map_msi_window", "%ld", r);
	CHECK(t, r == 0, "an emulated-only container must not restrict IOVAs: %ld", r);
	record(t, "map_src", "%ld", vt_map(vc.c, IOVA_SRC, PAGE, (uintptr_t)src,
					   VFIO_DMA_MAP_FLAG_READ));
	record(t, "map_dst", "%ld", vt_map(vc.c, IOVA_DST, PAGE, (uintptr_t)dst,
					   VFIO_DMA_MAP_FLAG_WRITE));
	vt_info_hex(vc.c, before, sizeof(before));

	/* The edu group reserves the MSI window: refused, nothing changes. */
	g = open_group_fd(t, t->group);
	if (g < 0)
		goto out;
	p = tool_predicts(t, t->group, tool, sizeof(tool));
	r = xioctl(g, VFIO_GROUP_SET_CONTAINER, &vc.c);
	refused(t, "attach_over_msi_mapping", r, "layout");
	check_prediction(t, "attach over the MSI window", p, r, tool);
	CHECK(t, p != 1 || strstr(tool, region), "hotplug-check does not name the region: %.200s",
	      tool);
	CHECK(t, r == -EINVAL, "attach over a mapping in the MSI window: %ld", r);
	vt_info_hex(vc.c, after, sizeof(after));
	record(t, "info_unchanged", "%d", !strcmp(before, after));
	CHECK(t, !strcmp(before, after), "a refused attach changed GET_INFO");
	/* Ours also says why, in debugfs (and in the kernel log). */
	if (!strcmp(t->backend, "vfio_iommu_iova")) {
		FILE *f = popen("cat /sys/kernel/debug/vfio-iommu-iova/*/stats", "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		buf[n] = 0;
		if (f)
			pclose(f);
		CHECK(t, strstr(buf, "refused_attaches: 1") &&
		      strstr(buf, region),
		      "debugfs stats do not say why: %s", buf);
		snprintf(buf, sizeof(buf),
			 "attach refused (-EINVAL, layout): group %d: mapping [%#llx-%#llx]",
			 t->group, (unsigned long long)msi, (unsigned long long)msi + PAGE - 1);
		CHECK(t, vt_klog_has(buf, region),
		      "no kernel log line names the group, the mapping and the region");
	}
	unmapped = 0;
	r = vt_unmap(vc.c, msi, PAGE, 0, &unmapped);
	record(t, "msi_mapping_kept", "%ld %#llx", r, (unsigned long long)unmapped);

	/* Beyond a 39-bit aperture: refused where the IOMMU cannot reach it. */
	r = vt_map(vc.c, 1ULL << 40, PAGE, (uintptr_t)src, VFIO_DMA_MAP_FLAG_READ);
	record(t, "map_above_39bit", "%ld", r);
	p = tool_predicts(t, t->group, tool, sizeof(tool));
	r = xioctl(g, VFIO_GROUP_SET_CONTAINER, &vc.c);
	refused(t, "attach_over_high_mapping", r, "layout");
	check_prediction(t, "attach over 2^40", p, r, tool);
	if (!r)
		xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL);
	vt_unmap(vc.c, 1ULL << 40, PAGE, 0, NULL);

	/* Only valid mappings left: attached, and they are really mapped. */
	p = tool_predicts(t, t->group, tool, sizeof(tool));
	r = xioctl(g, VFIO_GROUP_SET_CONTAINER, &vc.c);
	record(t, "attach_valid", "%ld", r);
	check_prediction(t, "attach over valid mappings", p, r, tool);
	CHECK(t, r == 0, "attach over valid mappings: %ld", r);
	vt_get_ranges(vc.c, &vr);
	record(t, "ranges_with_edu", "%u", vr.nr);
	if (r || edu_open(t, g, t->device, &e))
		goto out;
	edu_expect_copy(t, &e, src, dst, "dma_through_replayed",
			"mappings made before the attach are not usable by the device");
	edu_close(&e);

	/* Detach: unrestricted again, the mappings stay. */
	record(t, "detach", "%ld", xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL));
	vt_get_ranges(vc.c, &vr);
	record(t, "ranges_after_detach", "%u", vr.nr);
	/* Unrestricted: no capability, or (as stock says it) all of it. */
	CHECK(t, vr.nr == 0 || (vr.nr == 1 && vr.r[0].start == 0 && vr.r[0].end == UINT64_MAX),
	      "ranges did not widen after the detach");
	r = vt_map(vc.c, msi, PAGE, (uintptr_t)src, VFIO_DMA_MAP_FLAG_READ);
	record(t, "map_msi_after_detach", "%ld", r);
	CHECK(t, r == 0, "the MSI window is still refused after the detach: %ld", r);
	unmapped = 0;
	r = vt_unmap(vc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped);
	record(t, "unmap_all", "%ld %#llx", r, (unsigned long long)unmapped);
out:
	edu_close(&e);
	if (g >= 0)
		close(g);
	vt_close(&vc);
	munmap(src, PAGE);
	munmap(dst, PAGE);
}

/*
 * Device memory as the vaddr of a map (peer-to-peer DMA): edu's BAR0, as
 * vfio-pci maps it for user space (VM_PFNMAP).  Neither pinned nor charged.
 */
void case_vaddr_pfnmap(struct ctx *t)
{
	long vmlck = vt_vmlck_kb(), pins = vt_foll_pins(), r;
	struct edu e = { -1, MAP_FAILED, 0 };
	uint64_t unmapped = 0;
	struct vt_cont vc;

	if (vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	if (!edu_open(t, vc.g, t->device, &e)) {
		r = vt_map(vc.c, 0x500000, e.bar_size, (uintptr_t)e.bar,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
		record(t, "map_bar", "%ld", r);
		CHECK(t, r == 0, "map of edu's BAR0: %ld", r);
		record(t, "vmlck", "%ld", vt_vmlck_kb() - vmlck);
		record(t, "pins", "%ld", vt_foll_pins() - pins);
		CHECK(t, vt_vmlck_kb() == vmlck && vt_foll_pins() == pins,
		      "device memory was charged (%ld kB) or pinned (%ld pages)",
		      vt_vmlck_kb() - vmlck, vt_foll_pins() - pins);
		r = vt_unmap(vc.c, 0x500000, e.bar_size, 0, &unmapped);
		record(t, "unmap_bar", "%ld %#llx", r, (unsigned long long)unmapped);
		CHECK(t, r == 0 && unmapped == e.bar_size, "unmap of the BAR: %ld, %#llx bytes", r,
		      (unsigned long long)unmapped);
	}
	edu_close(&e);
	vt_close(&vc);
}
