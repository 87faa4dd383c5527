// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests faults --backend MODULE --group N --group2 M
 *
 * Faults and hostile users, against whichever backend is loaded (MODULE,
 * for its parameters); the guest runs it against the stock backend and
 * ours in the same boot.  Prints one TAP-like line per check:
 *   ok - WHAT / not ok - WHAT: WHY
 *
 *  - kill-during-map: SIGKILL while a 768 MiB map of 4 KiB pages pins;
 *    the pins go, the group can be used again.
 *  - owner-exit: the owner maps, forks and exits; the child, holding the
 *    fds, unmaps the owner's mapping and maps its own, charged to itself.
 *  - unprivileged: a user with only its own group: no other group, its
 *    RLIMIT_MEMLOCK holds, root's container on the other group unharmed.
 *  - limits under concurrency: 4 threads against dma_entry_limit, and
 *    against RLIMIT_MEMLOCK without CAP_IPC_LOCK: exactly the limit is
 *    granted.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vt.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define IOVA (4ULL << 30)

static int failures;

static void report(bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s - %s", ok ? "ok" : "not ok", what);
	if (!ok) {
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		failures++;
	}
	printf("\n");
	fflush(stdout);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Can a fresh container take the group and map one page? */
static bool group_usable(struct ctx *t)
{
	void *buf = vt_buffer(PAGE);
	struct vt_cont vc;
	bool ok;

	if (!buf || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return false;
	ok = !vt_map(vc.c, IOVA, PAGE, (uintptr_t)buf, RW);
	vt_close(&vc);
	munmap(buf, PAGE);
	return ok;
}

static void kill_during_map(struct ctx *t)
{
	const size_t size = 768ULL << 20;
	static const int delay_ms[] = { 1, 3, 10, 30, 60 };
	long before = vt_foll_pins();
	int mid = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(delay_ms); i++) {
		int p[2], st;
		char c = 0;
		pid_t pid;

		if (pipe(p))
			return report(false, "kill-during-map", "pipe: %s", strerror(errno));
		pid = fork();
		if (pid == 0) {
			uint8_t *buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			struct vt_cont vc;

			close(p[0]);
			if (buf == MAP_FAILED || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
				_exit(2);
			madvise(buf, size, MADV_NOHUGEPAGE);	/* pinned page by page */
			memset(buf, 1, size);
			if (write(p[1], "g", 1) != 1)
				_exit(2);
			vt_map(vc.c, IOVA, size, (uintptr_t)buf, RW);
			(void)!write(p[1], "d", 1);	/* the map finished first */
			pause();
			_exit(0);
		}
		close(p[1]);
		if (pid < 0 || read(p[0], &c, 1) != 1 || c != 'g') {
			close(p[0]);
			waitpid(pid, NULL, 0);
			return report(false, "kill-during-map", "the child did not start");
		}
		sleep_ms(delay_ms[i]);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		mid += read(p[0], &c, 1) != 1;	/* no "d": killed mid-map */
		close(p[0]);
	}
	if (vt_foll_pins() != before)
		return report(false, "kill-during-map", "%ld pages still pinned",
			      vt_foll_pins() - before);
	if (!mid)
		return report(false, "kill-during-map", "no kill landed during a map");
	if (!group_usable(t))
		return report(false, "kill-during-map", "the group is not usable after");
	report(true, "kill-during-map", "-");
	printf("# kill-during-map: %d of %zu kills landed during the map\n", mid,
	       ARRAY_SIZE(delay_ms));
}

static void owner_exit(struct ctx *t)
{
	long before = vt_foll_pins();
	char res[160] = "";
	int p[2], st;
	pid_t owner;

	if (pipe(p))
		return report(false, "owner-exit", "pipe");
	owner = fork();
	if (owner == 0) {
		void *buf = vt_buffer(16 * PAGE);
		struct vt_cont vc;
		int gone[2];
		pid_t child;

		close(p[0]);
		if (!buf || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU) ||
		    vt_map(vc.c, IOVA, 16 * PAGE, (uintptr_t)buf, RW) || pipe(gone))
			_exit(2);
		child = fork();
		if (child == 0) {
			uint64_t done = 0;
			void *mine = vt_buffer(8 * PAGE);
			long u, m, lck, u2;
			char c;

			close(gone[1]);
			/* EOF: the owner exited, taking its mm along. */
			while (read(gone[0], &c, 1) > 0)
				;
			u = vt_unmap(vc.c, IOVA, 16 * PAGE, 0, &done);
			m = vt_map(vc.c, IOVA + 16 * PAGE, 8 * PAGE, (uintptr_t)mine, RW);
			lck = vt_vmlck_kb();
			u2 = vt_unmap(vc.c, IOVA + 16 * PAGE, 8 * PAGE, 0, &done);
			vt_close(&vc);
			dprintf(p[1], "%ld %ld %ld %ld %ld\n", u, m, lck, u2, vt_vmlck_kb());
			_exit(0);
		}
		_exit(child < 0);	/* with the mapping, the child keeps the fds */
	}
	close(p[1]);
	waitpid(owner, &st, 0);
	(void)!read(p[0], res, sizeof(res) - 1);
	close(p[0]);
	if (strcmp(res, "0 0 32 0 0\n"))
		return report(false, "owner-exit",
			      "child saw unmap, map, VmLck kB, unmap, VmLck: %s",
			      res[0] ? res : "nothing\n");
	if (vt_foll_pins() != before)
		return report(false, "owner-exit", "%ld pages still pinned",
			      vt_foll_pins() - before);
	report(true, "owner-exit", "-");
}

/* Drop every capability: setuid to a user without any. */
static int become_user(uid_t uid)
{
	return setgroups(0, NULL) || setgid(uid) || setuid(uid) ? -1 : 0;
}

static void unprivileged(struct ctx *t)
{
	char path[64], other[64], res[160] = "";
	void *rootbuf = vt_buffer(PAGE);
	struct ctx t2 = *t;
	struct vt_cont root;
	uint64_t done = 0;
	int p[2], st;
	pid_t pid;
	long r;

	if (t->group2 < 0)
		return report(false, "unprivileged", "needs a second group");
	t2.group = t->group2;
	if (!rootbuf || vt_open(&t2, &root, VFIO_TYPE1v2_IOMMU) ||
	    vt_map(root.c, IOVA, PAGE, (uintptr_t)rootbuf, RW))
		return report(false, "unprivileged", "root's container: %s", t2.why);
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group);
	snprintf(other, sizeof(other), "/dev/vfio/%d", t->group2);
	if (chown(path, 1000, 1000) || pipe(p))
		return report(false, "unprivileged", "chown %s: %s", path, strerror(errno));
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 16 * PAGE, 16 * PAGE };
		void *buf = vt_buffer(32 * PAGE);
		struct vt_cont vc;
		long o, m1, m2, lck;

		close(p[0]);
		if (!buf || setrlimit(RLIMIT_MEMLOCK, &rl) || become_user(1000))
			_exit(2);
		o = open(other, O_RDWR) < 0 ? -errno : 0;
		if (vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
			_exit(3);
		m1 = vt_map(vc.c, IOVA, 16 * PAGE, (uintptr_t)buf, RW);
		m2 = vt_map(vc.c, IOVA + 16 * PAGE, 16 * PAGE, (uintptr_t)buf + 16 * PAGE, RW);
		lck = vt_vmlck_kb();
		vt_close(&vc);
		dprintf(p[1], "%ld %ld %ld %ld\n", o, m1, m2, lck);
		_exit(0);
	}
	close(p[1]);
	waitpid(pid, &st, 0);
	(void)!read(p[0], res, sizeof(res) - 1);
	close(p[0]);
	(void)!chown(path, 0, 0);
	r = vt_unmap(root.c, IOVA, PAGE, 0, &done);
	vt_close(&root);
	if (strcmp(res, "-13 0 -12 64\n"))
		return report(false, "unprivileged",
			      "open other group, map 16, map 16 more, VmLck kB: %s (exit %#x)",
			      res[0] ? res : "nothing\n", st);
	if (r || done != PAGE)
		return report(false, "unprivileged", "root's mapping: unmap %ld, %#llx bytes", r,
			      (unsigned long long)done);
	report(true, "unprivileged", "-");
}

struct racer {
	int c, id, granted;
	long last;
	uint8_t *buf;
};

static void *race_maps(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < 50; i++) {
		long e = vt_map(r->c, IOVA + (uint64_t)(r->id * 50 + i) * PAGE, PAGE,
				(uintptr_t)(r->buf + (r->id * 50 + i) * PAGE), RW);

		if (!e)
			r->granted++;
		else
			r->last = e;
	}
	return NULL;
}

/* 4 threads, 50 single-page maps each, in one container; granted in total. */
static int race(struct vt_cont *vc, uint8_t *buf, long *err)
{
	struct racer r[4];
	pthread_t th[4];
	int i, granted = 0;

	for (i = 0; i < 4; i++) {
		r[i] = (struct racer){ .c = vc->c, .id = i, .buf = buf };
		pthread_create(&th[i], NULL, race_maps, &r[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		granted += r[i].granted;
		if (r[i].last)
			*err = r[i].last;
	}
	return granted;
}

static void limits(struct ctx *t)
{
	uint8_t *buf = vt_buffer(200 * PAGE);
	long old, err = 0;
	struct vt_cont vc;
	int granted, st;
	pid_t pid;

	old = vt_set_param(t->backend, "dma_entry_limit", 100);
	if (!buf || old < 0 || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU)) {
		if (old >= 0)
			vt_set_param(t->backend, "dma_entry_limit", old);
		return report(false, "dma_entry_limit, 4 threads", "setup: %s", t->why);
	}
	granted = race(&vc, buf, &err);
	vt_close(&vc);
	vt_set_param(t->backend, "dma_entry_limit", old);
	report(granted == 100 && err == -ENOSPC, "dma_entry_limit, 4 threads",
	       "limit 100: %d granted, last error %ld", granted, err);

	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 64 * PAGE, 64 * PAGE };
		long lck;

		err = 0;
		if (vt_drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl) ||
		    vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
			_exit(100);
		granted = race(&vc, buf, &err);
		lck = vt_vmlck_kb();
		vt_close(&vc);
		_exit(granted == 64 && err == -ENOMEM && lck == 256 ? 0 : 1 + granted % 99);
	}
	waitpid(pid, &st, 0);
	report(WIFEXITED(st) && !WEXITSTATUS(st), "RLIMIT_MEMLOCK, 4 threads",
	       "limit 64 pages: exit %d (1 + pages granted, or 100: setup)",
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	munmap(buf, 200 * PAGE);
}

int cmd_faults(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = "faults", .group = -1, .group2 = -1 };
	int i;

	for (i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--backend"))
			t.backend = argv[i + 1];
		else if (!strcmp(argv[i], "--group"))
			t.group = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--group2"))
			t.group2 = atoi(argv[i + 1]);
		else
			break;
	}
	if (i != argc || t.group < 0 || !t.backend) {
		fprintf(stderr, "usage: vfio-tests faults --backend MODULE --group N --group2 M\n");
		return 2;
	}
	kill_during_map(&t);
	owner_exit(&t);
	unprivileged(&t);
	limits(&t);
	return failures ? 1 : 0;
}
