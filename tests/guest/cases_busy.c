// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: a container held busy by one of its own ioctls must not stall
 * the rest of the host.  A GET_BITMAP whose user buffer faults slowly (here:
 * a userfaultfd page nobody fills until the end) holds the container lock;
 * meanwhile our debugfs "containers" must answer, and another process must
 * be able to set up a container of its own.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vt.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define WAIT_MS 10000

struct getter {
	int c;
	uint64_t *bits;
	long r;
};

static void *get_bitmap(void *arg)
{
	struct getter *g = arg;

	g->r = dirty_get(g->c, 0x100000, PAGE, PAGE, PAGE, g->bits);
	return NULL;
}

/* Wait up to WAIT_MS for @pid; its exit status, or -1 if it still runs. */
static int wait_bounded(pid_t pid)
{
	struct timespec ms = { 0, 1000000 };
	int status, i;

	for (i = 0; i < WAIT_MS; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/* A child that reads our debugfs "containers" into @path. */
static pid_t read_containers(const char *path)
{
	pid_t pid = fork();

	if (!pid) {
		char buf[8192];
		int in = open("/sys/kernel/debug/vfio-iommu-iova/containers", O_RDONLY);
		int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ssize_t n;

		if (in < 0 || out < 0)
			_exit(1);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				_exit(1);
		_exit(n < 0);
	}
	return pid;
}

/* A child that sets up a container of its own, with group @group. */
static pid_t set_iommu(int group)
{
	pid_t pid = fork();

	if (!pid) {
		char path[64];
		int c = open("/dev/vfio/vfio", O_RDWR), g;

		snprintf(path, sizeof(path), "/dev/vfio/%d", group);
		g = open(path, O_RDWR);
		if (c < 0 || g < 0 || xioctl(g, VFIO_GROUP_SET_CONTAINER, &c) ||
		    xioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU))
			_exit(1);
		_exit(0);
	}
	return pid;
}

void case_ours_busy_container(struct ctx *t)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffdio_zeropage zero;
	struct getter g = { .r = -9999 };
	struct pollfd pfd;
	struct vt_cont vc;
	pthread_t th;
	pid_t reader, setter;
	char buf[4096] = "";
	int uffd, rc, other;
	FILE *f;
	void *b;

	other = t->group2 >= 0 ? t->group2 : t->mdev_group;
	CHECK(t, other >= 0, "this scenario needs a second group");
	b = vt_buffer(PAGE);
	if (!b || other < 0 || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	CHECK(t, !vt_map(vc.c, 0x100000, PAGE, (uintptr_t)b, RW), "map");
	CHECK(t, !dirty_flags(vc.c, sizeof(struct vfio_iommu_type1_dirty_bitmap),
			      VFIO_IOMMU_DIRTY_PAGES_FLAG_START), "dirty tracking START");

	/* The bitmap's page is missing until we say: the copy out waits. */
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	g.bits = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)g.bits;
	reg.range.len = PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	CHECK(t, uffd >= 0 && g.bits != MAP_FAILED && !ioctl(uffd, UFFDIO_API, &api) &&
	      !ioctl(uffd, UFFDIO_REGISTER, &reg), "userfaultfd: %s", strerror(errno));
	if (t->why[0])
		goto out;
	g.c = vc.c;
	pthread_create(&th, NULL, get_bitmap, &g);
	pfd.fd = uffd;
	pfd.events = POLLIN;
	CHECK(t, poll(&pfd, 1, WAIT_MS) == 1, "GET_BITMAP never reached its user buffer");

	/* The container is busy now: the host must not be. */
	reader = read_containers("/busy-containers");
	setter = set_iommu(other);
	rc = wait_bounded(reader);
	CHECK(t, rc == 0, "reading containers while one is busy: %s",
	      rc < 0 ? "stalled" : "failed");
	rc = wait_bounded(setter);
	CHECK(t, rc == 0, "VFIO_SET_IOMMU of another container while one is busy: %s",
	      rc < 0 ? "stalled" : "failed");

	/* Let the copy finish; then everything that waited finishes too. */
	zero.range = reg.range;
	zero.mode = 0;
	ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
	pthread_join(th, NULL);
	CHECK(t, g.r == 0, "GET_BITMAP into the late page: %ld", g.r);
	waitpid(reader, NULL, 0);
	waitpid(setter, NULL, 0);
	f = fopen("/busy-containers", "r");
	if (f) {
		buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
		fclose(f);
	}
	CHECK(t, strstr(buf, " type1v2 1 1 1 "),
	      "containers, read while ours was busy, lacks its line (1 group, 1 mapping, 1 page): %s",
	      buf);
out:
	if (uffd >= 0)
		close(uffd);
	vt_close(&vc);
}
