// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests hotunplug --backend MODULE --device BDF --out FILE
 *
 * The edu device BDF (behind a hot-plug capable root port, QEMU id
 * "hpedu") is unplugged through the outer QEMU's monitor while its group is
 * attached to a container with live mappings, then plugged back.  The
 * guest cannot reach that monitor: it asks on its result line, and the
 * host's tests/lib/qmp-agent.py passes the request on.
 *
 * The kernel asks the device's user to let go (the PCI request eventfd);
 * once the device fd is closed, the vfio core detaches the group from the
 * container by itself, from the hot-plug worker and not from the owner's
 * process, while the user still holds the container and group fds.  The
 * backend must then have unpinned and uncharged everything (it is the
 * container's last group), answer the user's later ioctls as the stock
 * backend does, and serve the device again once it is back.
 *
 * The case's verdict and observations are appended to FILE, the
 * differential run's results.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
/* edu's DMA mask is 28 bits: everything below 256 MiB. */
#define IOVA_SRC 0x1000000ULL
#define IOVA_DST 0x2000000ULL
#define IOVA_BIG 0x4000000ULL
#define BIG_SIZE (64ULL << 20)
#define QEMU_ID "hpedu"
#define QEMU_BUS "hp0"

/*
 * Ask the host to run a QMP command on the QEMU this guest runs in, on the
 * results channel (RESULTS_TTY, from tests/guest/init).
 */
static int qmp_request(struct ctx *t, const char *execute, const char *args)
{
	const char *tty = getenv("RESULTS_TTY") ? getenv("RESULTS_TTY") : "/dev/ttyS1";
	char line[256];
	int fd, n;

	n = snprintf(line, sizeof(line),
		     "# qmp-request {\"execute\": \"%s\", \"arguments\": {%s}}\n", execute, args);
	fd = open(tty, O_WRONLY | O_NOCTTY);
	CHECK(t, fd >= 0, "open %s: %s", tty, strerror(errno));
	if (fd < 0)
		return -1;
	CHECK(t, write(fd, line, n) == n, "write the QMP request");
	close(fd);
	return 0;
}

static bool device_present(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return !access(path, F_OK);
}

/* The device's VFIO group, once vfio-pci has it and /dev/vfio/N exists. */
static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;
	int group;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = 0;
	base = strrchr(link, '/');
	group = atoi(base ? base + 1 : link);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	return access(path, F_OK) ? -1 : group;
}

/* Poll @cond for up to @secs seconds (10 ms steps). */
static bool wait_until(bool (*cond)(const char *), const char *bdf, bool want, int secs)
{
	int i;

	for (i = 0; i < secs * 100; i++) {
		if (cond(bdf) == want)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * vfio-pci has the device (the driver link exists) and its group node
 * exists; see registered() for the rest.
 */
static bool group_ready(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = 0;
	return !strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link, "vfio-pci") &&
	       group_of(bdf) >= 0;
}

/*
 * The group knows the device: vfio-pci's probe, which registers it, may
 * still be running when the driver link and the group node exist.
 */
static bool registered(int group_fd, const char *bdf)
{
	long fd;
	int i;

	for (i = 0; i < 1000; i++) {
		fd = xioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf);
		if (fd >= 0) {
			close(fd);
			return true;
		}
		if (fd != -ENODEV)
			return false;
		usleep(10000);
	}
	return false;
}

/* The PCI request eventfd: how the kernel asks a user to let go. */
static int request_eventfd(struct ctx *t, int dev_fd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq;
	long r;

	memset(&irq, 0, sizeof(irq));
	irq.set.argsz = sizeof(irq);
	irq.set.index = VFIO_PCI_REQ_IRQ_INDEX;
	irq.set.count = 1;
	irq.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq.fd = eventfd(0, EFD_CLOEXEC);
	CHECK(t, irq.fd >= 0, "eventfd: %s", strerror(errno));
	if (irq.fd < 0)
		return -1;
	r = xioctl(dev_fd, VFIO_DEVICE_SET_IRQS, &irq);
	CHECK(t, !r, "VFIO_DEVICE_SET_IRQS(REQ): %s", strerror(-r));
	if (r) {
		close(irq.fd);
		return -1;
	}
	return irq.fd;
}

/* Does edu copy @src (at IOVA_SRC) to @dst (at IOVA_DST)? */
static bool copy_works(struct edu *e, const unsigned char *src, unsigned char *dst)
{
	memset(dst, 0, PAGE);
	return !edu_copy(e, IOVA_SRC, IOVA_DST) && !memcmp(src, dst, EDU_XFER);
}

static void unplug(struct ctx *t, struct vt_cont *vc, unsigned char *src, unsigned char *dst,
		   long pins0, long vmlck0)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct edu e = { -1, MAP_FAILED, 0 };
	struct pollfd pfd;
	uint64_t unmapped = 0;
	long r;

	if (edu_open(t, vc->g, t->device, &e))
		return;
	r = copy_works(&e, src, dst);
	record(t, "dma_before", "%ld", r);
	CHECK(t, r, "edu DMA before the removal failed");
	pfd.fd = request_eventfd(t, e.fd);
	pfd.events = POLLIN;
	if (pfd.fd < 0 || qmp_request(t, "device_del", "\"id\": \"" QEMU_ID "\"")) {
		edu_close(&e);
		return;
	}

	/* The kernel asks; the device and its mappings are still there. */
	r = poll(&pfd, 1, 60000) == 1;
	record(t, "asked_to_release", "%ld", r);
	CHECK(t, r, "no request on the eventfd within 60 s of device_del");
	record(t, "present_while_held", "%d", device_present(t->device));
	r = copy_works(&e, src, dst);
	record(t, "dma_while_held", "%ld", r);
	edu_close(&e);
	close(pfd.fd);

	r = wait_until(device_present, t->device, false, 60);
	record(t, "gone_after_close", "%ld", r);
	CHECK(t, r, "the device did not go within 60 s of closing its fd");
	if (!r)
		return;

	/* The core detached the group itself: nothing is pinned or charged. */
	r = vt_foll_pins() - pins0;
	record(t, "pins_left", "%ld", r);
	CHECK(t, !r, "%ld pages still pinned after the removal", r);
	r = vt_vmlck_kb() - vmlck0;
	record(t, "vmlck_kb_left", "%ld", r);
	CHECK(t, !r, "VmLck %ld kB above its start after the removal", r);
	record(t, "backend_refs", "%ld", module_refcnt(t->backend));
	CHECK(t, !module_refcnt(t->backend), "the backend is still in use after the removal");

	/* What the user sees on the fds it still holds. */
	record(t, "get_info", "%ld", xioctl(vc->c, VFIO_IOMMU_GET_INFO, &info));
	record(t, "map", "%ld", vt_map(vc->c, IOVA_SRC, PAGE, (uintptr_t)src, RW));
	record(t, "unmap", "%ld", vt_unmap(vc->c, IOVA_BIG, BIG_SIZE, 0, &unmapped));
	record(t, "extension_v2", "%ld", xioctl(vc->c, VFIO_CHECK_EXTENSION,
						(void *)VFIO_TYPE1v2_IOMMU));
	r = xioctl(vc->g, VFIO_GROUP_GET_STATUS, &st);
	record(t, "group_status", "%ld flags=%u", r, r ? 0 : st.flags);
	record(t, "unset_container", "%ld", xioctl(vc->g, VFIO_GROUP_UNSET_CONTAINER, NULL));
	r = vt_foll_pins() - pins0;
	CHECK(t, !r, "%ld pages pinned by ioctls after the removal", r);
}

/* device_add until the device is back with its VFIO group (up to 60 s). */
static bool plug_back(struct ctx *t)
{
	bool back = false;
	int i;

	/* QEMU may still be finishing the removal: ask again until it is back. */
	for (i = 0; i < 6 && !back; i++) {
		qmp_request(t, "device_add", "\"driver\": \"edu\", \"id\": \"" QEMU_ID
			    "\", \"bus\": \"" QEMU_BUS "\"");
		back = wait_until(group_ready, t->device, true, 10);
	}
	return back;
}

static void replug(struct ctx *t, unsigned char *src, unsigned char *dst)
{
	struct edu e = { -1, MAP_FAILED, 0 };
	struct vt_cont vc;
	bool back;
	int group;
	long r;

	back = plug_back(t);
	record(t, "replugged", "%d", back);
	CHECK(t, back, "the device did not come back within 60 s of device_add");
	if (!back)
		return;
	group = group_of(t->device);
	if (vt_open_group(t, &vc, group, VFIO_TYPE1v2_IOMMU))
		return;
	r = vt_map(vc.c, IOVA_SRC, PAGE, (uintptr_t)src, VFIO_DMA_MAP_FLAG_READ) ||
	    vt_map(vc.c, IOVA_DST, PAGE, (uintptr_t)dst, VFIO_DMA_MAP_FLAG_WRITE);
	if (!r)
		r = !registered(vc.g, t->device) || edu_open(t, vc.g, t->device, &e) ||
		    !copy_works(&e, src, dst);
	record(t, "dma_after_replug", "%d", !r);
	CHECK(t, !r, "edu DMA after the device came back failed");
	edu_close(&e);
	vt_close(&vc);
}

/*
 * vfio-tests replug --device BDF: unplug the unused device and plug it back.
 * The guest does this once before the tests, so that the stock backend and
 * ours both meet a device plugged at run time: QEMU 7.2's AMD IOMMU does
 * not translate the first DMA of a device cold-plugged behind a root port
 * (it keeps the bus number the device had before the firmware numbered the
 * bus), and the first backend to use the device would fail alone.
 */
int cmd_replug(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = "replug" };

	if (argc != 4 || strcmp(argv[2], "--device")) {
		fprintf(stderr, "usage: vfio-tests replug --device BDF\n");
		return 2;
	}
	t.device = argv[3];
	if (!qmp_request(&t, "device_del", "\"id\": \"" QEMU_ID "\""))
		CHECK(&t, wait_until(device_present, t.device, false, 60),
		      "%s did not go within 60 s of device_del", t.device);
	if (!t.why[0])
		CHECK(&t, plug_back(&t), "%s did not come back within 60 s of device_add",
		      t.device);
	printf("%s\n", t.why[0] ? t.why : "ok");
	return t.why[0] ? 1 : 0;
}

int cmd_hotunplug(int argc, char **argv)
{
	struct ctx t = { .name = "hotunplug", .group2 = -1, .mdev_group = -1 };
	unsigned char *src, *dst, *big;
	const char *path = NULL;
	long pins0, vmlck0;
	struct vt_cont vc;
	size_t i;
	int a;

	for (a = 2; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--backend"))
			t.backend = argv[a + 1];
		else if (!strcmp(argv[a], "--device"))
			t.device = argv[a + 1];
		else if (!strcmp(argv[a], "--out"))
			path = argv[a + 1];
		else
			break;
	}
	if (a != argc || !t.backend || !t.device || !path) {
		fprintf(stderr,
			"usage: vfio-tests hotunplug --backend MODULE --device BDF --out FILE\n");
		return 2;
	}
	t.out = fopen(path, "a");
	if (!t.out) {
		perror(path);
		return 2;
	}
	src = vt_buffer(PAGE);
	dst = vt_buffer(PAGE);
	big = vt_buffer(BIG_SIZE);
	t.group = group_of(t.device);
	CHECK(&t, src && dst && big, "no memory");
	CHECK(&t, t.group >= 0, "no VFIO group for %s", t.device);
	pins0 = vt_foll_pins();
	vmlck0 = vt_vmlck_kb();
	if (src && dst && big && t.group >= 0 && !vt_open(&t, &vc, VFIO_TYPE1v2_IOMMU)) {
		for (i = 0; i < PAGE; i++)
			src[i] = (unsigned char)(i * 13 + 5);
		record(&t, "map_src", "%ld", vt_map(vc.c, IOVA_SRC, PAGE, (uintptr_t)src,
						    VFIO_DMA_MAP_FLAG_READ));
		record(&t, "map_dst", "%ld", vt_map(vc.c, IOVA_DST, PAGE, (uintptr_t)dst,
						    VFIO_DMA_MAP_FLAG_WRITE));
		record(&t, "map_big", "%ld", vt_map(vc.c, IOVA_BIG, BIG_SIZE, (uintptr_t)big, RW));
		CHECK(&t, vt_foll_pins() - pins0 >= (long)(BIG_SIZE / PAGE),
		      "the mappings are not pinned (%ld pages)", vt_foll_pins() - pins0);
		unplug(&t, &vc, src, dst, pins0, vmlck0);
		vt_close(&vc);
		replug(&t, src, dst);
		CHECK(&t, vt_vmlck_kb() == vmlck0, "VmLck %ld kB at the end, %ld at the start",
		      vt_vmlck_kb(), vmlck0);
		CHECK(&t, vt_foll_pins() == pins0, "%ld pages pinned at the end",
		      vt_foll_pins() - pins0);
	}
	fprintf(t.out, "case %s %s %s\n", t.name, t.why[0] ? "fail" : "ok", t.why[0] ? t.why : "-");
	fclose(t.out);
	printf("%s\n", t.why[0] ? t.why : "ok");
	return t.why[0] ? 1 : 0;
}

static volatile sig_atomic_t race_stop;

static void race_on_term(int sig)
{
	(void)sig;
	race_stop = 1;
}

/*
 * Power off the slot of @bdf from this guest, as an operator's
 * "echo 0 >/sys/bus/pci/slots/N/power" does: the hot-plug driver removes
 * the device at once (device_del first presses the slot's attention
 * button, and the kernel waits 5 s for a second press that would cancel
 * it), and QEMU takes a device out of a slot the guest has powered off.
 * The write returns once the removal is done: a child makes it, so that
 * the caller's time limit holds.  Returns the child, or -1.
 */
static pid_t slot_power_off(struct ctx *t, const char *bdf)
{
	char path[PATH_MAX], addr[32];
	struct dirent *de;
	pid_t pid = -1;
	DIR *d;
	FILE *f;
	int fd;

	d = opendir("/sys/bus/pci/slots");
	CHECK(t, d, "no /sys/bus/pci/slots: %s", strerror(errno));
	while (d && pid < 0 && (de = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/bus/pci/slots/%s/address", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* "DDDD:BB:SS" for the device "DDDD:BB:SS.F" */
		if (fscanf(f, "%31s", addr) == 1 && !strncmp(bdf, addr, strlen(addr)) &&
		    bdf[strlen(addr)] == '.') {
			snprintf(path, sizeof(path), "/sys/bus/pci/slots/%s/power", de->d_name);
			pid = fork();
			if (!pid) {
				fd = open(path, O_WRONLY);
				_exit(fd >= 0 && write(fd, "0", 1) == 1 ? 0 : 1);
			}
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	CHECK(t, pid > 0, "no hot-plug slot found for %s", bdf);
	return pid;
}

/*
 * The child of unplug-race: set up and tear down a container of the
 * device's group as fast as it can, whether the device is there or not.
 * Writes "attaches refusals" to @fd when told to stop.
 */
static void race_attacher(const char *bdf, int fd)
{
	long attaches = 0, refusals = 0;
	char path[64], line[64];
	int c, g, group, n;

	signal(SIGTERM, race_on_term);
	while (!race_stop) {
		group = group_of(bdf);
		if (group < 0) {
			usleep(1000);
			continue;
		}
		snprintf(path, sizeof(path), "/dev/vfio/%d", group);
		c = open("/dev/vfio/vfio", O_RDWR);
		g = open(path, O_RDWR);
		if (c >= 0 && g >= 0 && !xioctl(g, VFIO_GROUP_SET_CONTAINER, &c)) {
			if (xioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU))
				refusals++;
			else
				attaches++;
			xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL);
		}
		if (g >= 0)
			close(g);
		if (c >= 0)
			close(c);
	}
	n = snprintf(line, sizeof(line), "%ld %ld\n", attaches, refusals);
	_exit(write(fd, line, n) == n ? 0 : 1);
}

/*
 * vfio-tests unplug-race --device BDF --cycles N: the device (QEMU id
 * "hpedu") is unplugged (its slot powered off from here: the same removal
 * as device_del's, without its 5 s wait) and plugged back (device_add) N
 * times while another process attaches its group to containers in a
 * loop: attach must never use a device that is going away (a backend
 * that kept one past iommu_group_for_each_dev() would, unnoticed but for
 * KASAN or an oops).
 * Prints one line: "ok - ..." or "not ok - WHY".
 */
int cmd_unplug_race(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = "unplug-race" };
	long pins0 = vt_foll_pins(), vmlck0 = vt_vmlck_kb(), attaches = -1, refusals = -1;
	int cycles = 0, i, status = -1, p[2];
	char line[64] = "";
	pid_t pid, off;
	ssize_t n;

	if (argc != 6 || strcmp(argv[2], "--device") || strcmp(argv[4], "--cycles")) {
		fprintf(stderr, "usage: vfio-tests unplug-race --device BDF --cycles N\n");
		return 2;
	}
	t.device = argv[3];
	cycles = atoi(argv[5]);
	if (pipe(p))
		return 2;
	pid = fork();
	if (!pid) {
		close(p[0]);
		race_attacher(t.device, p[1]);
	}
	close(p[1]);
	usleep(200000);
	for (i = 0; i < cycles && !t.why[0]; i++) {
		off = slot_power_off(&t, t.device);
		if (off < 0)
			break;
		CHECK(&t, wait_until(device_present, t.device, false, 60),
		      "%s did not go within 60 s of its slot's power-off (cycle %d)", t.device, i);
		CHECK(&t, waitpid(off, &status, 0) == off && WIFEXITED(status) &&
		      !WEXITSTATUS(status), "the slot's power-off failed (cycle %d)", i);
		usleep(100000);
		CHECK(&t, t.why[0] || plug_back(&t),
		      "%s did not come back within 60 s of device_add (cycle %d)", t.device, i);
		usleep(200000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	n = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	line[n > 0 ? n : 0] = 0;
	CHECK(&t, WIFEXITED(status) && !WEXITSTATUS(status), "the attaching process died (%#x)",
	      status);
	CHECK(&t, sscanf(line, "%ld %ld", &attaches, &refusals) == 2 && attaches > 0,
	      "no attach succeeded (%s)", line);
	CHECK(&t, vt_vmlck_kb() == vmlck0 && vt_foll_pins() == pins0,
	      "VmLck %ld kB, %ld pages pinned left", vt_vmlck_kb() - vmlck0,
	      vt_foll_pins() - pins0);
	if (t.why[0])
		printf("not ok - %s\n", t.why);
	else
		printf("ok - unplug race: %ld attaches, %ld refused, in %d unplug/replug cycles\n",
		       attaches, refusals, cycles);
	return t.why[0] ? 1 : 0;
}
