// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests fuzz --group N [--group2 M] [--device BDF] [--seconds S]
 *                 [--seed X] [--procs P] [--threads T]
 *
 * Random sequences of container, group and device ioctls with random and
 * boundary arguments, from P processes of T threads each, for S seconds:
 * argsz 0, short and huge; iova + size and vaddr + size that overflow;
 * unaligned values; unknown flags; unmapped, read-only and kernel vaddrs;
 * huge sizes; fds closed in any order, by any thread, while others use
 * them; forks that keep the fds after their parent closed them.  Half of
 * the processes run without CAP_IPC_LOCK and a small RLIMIT_MEMLOCK.
 *
 * What must hold, checked here (the guest also runs with panic_on_warn=1,
 * so a WARN is a crash and no marker):
 *  - no GET_INFO reply writes past the argsz the caller gave, and every
 *    reply is a well-formed chain of known capabilities with zeroed
 *    reserved and padding fields (no uninitialised kernel byte);
 *  - each process ends with VmLck 0 once its fds are closed;
 *  - when every process is gone, the kernel's FOLL_PIN counters are back
 *    where they started (checked to move while a mapping is held).
 *
 * Prints "fuzz ok IOCTLS PROCESSES SECONDS" or "fuzz FAILED reason"; exit 0 only
 * for ok.  The seed of every process is printed, to replay it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vt.h"

#define SLOTS		12		/* fds a process plays with */
#define BUF_PAGES	1024		/* 4 MiB of DMA-able memory per process */
#define MAX_THREADS	8
#define RECENT		64		/* successful maps remembered, for unmaps */

struct fuzz {
	int group, group2;
	const char *device;
	unsigned int seconds, procs, threads;
	unsigned int slow;	/* how many times slower than a Debian kernel */
	unsigned long long seed;
	unsigned long need[4];	/* per process: attaches, detaches, maps, unmaps */
};

/* How much longer than --seconds a slow machine may take to do the work. */
#define SLOW_FACTOR 6

/* One process's state, shared by its threads (races are the point). */
static struct {
	const struct fuzz *f;
	int fd[SLOTS];
	uint8_t *buf, *ro, *hole;
	uint8_t *guard;			/* a page, then one that faults */
	time_t deadline, cap;
	atomic_ulong ioctls, maps, unmaps, attaches, detaches;	/* all, and successes */
	/* Maps that worked: fd << 32 | first page << 8 | pages, for unmaps. */
	atomic_ulong recent[RECENT];
	atomic_int failed;
	char why[256];
	pthread_mutex_t why_lock;
} P;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&P.why_lock);
	if (!atomic_exchange(&P.failed, 1)) {
		va_start(ap, fmt);
		vsnprintf(P.why, sizeof(P.why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&P.why_lock);
}

/* xorshift64*: a thread's own generator. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t pick(uint64_t *s, const uint64_t *v, size_t n)
{
	return v[rnd(s) % n];
}

#define PICK(s, ...) ({							\
	const uint64_t _v[] = { __VA_ARGS__ };				\
	pick((s), _v, ARRAY_SIZE(_v));					\
})

static long fz_ioctl(int fd, unsigned long req, void *arg)
{
	atomic_fetch_add(&P.ioctls, 1);
	return xioctl(fd, req, arg);
}

static int slot_fd(uint64_t *s)
{
	/* Mostly a slot; sometimes a stale or nonsense number. */
	if (rnd(s) % 16 == 0)
		return (int)PICK(s, -1, 0, 1, 2, 1000, 0x7fffffff);
	return P.fd[rnd(s) % SLOTS];
}

static void slot_close_all(void)
{
	for (int i = 0; i < SLOTS; i++) {
		int old = __atomic_exchange_n(&P.fd[i], -1, __ATOMIC_SEQ_CST);

		if (old > 2)
			close(old);
	}
}

static void slot_put(uint64_t *s, int fd)
{
	int i = rnd(s) % SLOTS, old;

	old = __atomic_exchange_n(&P.fd[i], fd, __ATOMIC_SEQ_CST);
	if (old > 2)
		close(old);
}

static uint64_t fz_iova(uint64_t *s)
{
	uint64_t base = (4ULL << 30) + (rnd(s) % 64) * PAGE;

	return PICK(s, base, base, base, base + 1, 0, PAGE, 0xfee00000ULL,
		    0xfd00000000ULL, (1ULL << 39) - PAGE, (1ULL << 48) - PAGE,
		    (1ULL << 63), UINT64_MAX - PAGE + 1, UINT64_MAX, rnd(s));
}

static uint64_t fz_size(uint64_t *s)
{
	return PICK(s, PAGE, PAGE, PAGE, 2 * PAGE, (rnd(s) % 16 + 1) * PAGE, 0, 1,
		    PAGE + 1, BUF_PAGES * PAGE, (BUF_PAGES + 1) * PAGE, 1ULL << 40,
		    UINT64_MAX, UINT64_MAX - PAGE + 1, rnd(s));
}

static uint64_t fz_vaddr(uint64_t *s)
{
	uint64_t in = (uintptr_t)P.buf + (rnd(s) % BUF_PAGES) * PAGE;

	return PICK(s, in, in, in, in, in + 1, (uintptr_t)P.buf, (uintptr_t)P.ro,
		    (uintptr_t)P.hole, 0, PAGE, 0xffff888000000000ULL,
		    0xffffffff81000000ULL, (uintptr_t)P.buf + (BUF_PAGES - 1) * PAGE,
		    UINT64_MAX - PAGE + 1, rnd(s));
}

static uint32_t fz_argsz(uint64_t *s, uint32_t right)
{
	return PICK(s, right, right, right, right, 0, right - 1, right / 2, right + 8,
		    4096, 0xffffffffU, rnd(s));
}

static uint32_t fz_flags(uint64_t *s, uint32_t known)
{
	uint32_t f = rnd(s) & known;

	if (rnd(s) % 8 == 0)
		f |= 1U << (rnd(s) % 32);
	return f;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Walk a GET_INFO reply of @len bytes (the buffer held @fill before): a
 * well-formed capability chain of known capabilities whose reserved and
 * padding fields are zero, so no byte of it comes from uninitialised kernel
 * memory.  Returns what is wrong, or NULL.
 */
static const char *info_check(const uint8_t *p, uint32_t len, uint8_t fill)
{
	uint32_t off, next, argsz = get32(p), i;
	int caps = 0;

	if (len < 24 || argsz < 16)
		return NULL;			/* refused before any reply */
	/* The header's last word: the 6.1 UAPI has no pad, untouched there. */
	if (get32(p + 20) && get32(p + 20) != fill * 0x01010101U)
		return "the pad word after cap_offset is neither 0 nor untouched";
	off = get32(p + 16);
	if (!(get32(p + 4) & VFIO_IOMMU_INFO_CAPS) || !off)
		return NULL;
	for (; off; off = next) {
		uint16_t id;

		if (off < 24 || off + 16 > len || ++caps > 8)
			return "capability outside the reply, or a loop";
		memcpy(&id, p + off, sizeof(id));
		next = get32(p + off + 4);
		if (next && next <= off)
			return "capability chain goes backwards";
		switch (id) {
		case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE:
			if (get32(p + off + 12))
				return "IOVA range capability: reserved word not 0";
			for (i = 0; i < get32(p + off + 8); i++) {
				uint64_t r[2];

				if (off + 16 + 16 * (i + 1) > len)
					return "IOVA ranges run past the reply";
				memcpy(r, p + off + 16 + 16 * i, sizeof(r));
				if (r[0] > r[1])
					return "an IOVA range ends before it starts";
			}
			break;
		case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
			if (get32(p + off + 12))
				return "migration capability: padding after flags not 0";
			break;
		case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
			break;
		default:
			return "unknown capability id";
		}
	}
	return NULL;
}

/* A private copy of @fd if it is a container, else -1. */
static int container_dup(int fd)
{
	char path[64], target[64];
	ssize_t n;
	int d = fd >= 0 ? dup(fd) : -1;

	if (d < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", d);
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = 0;
		if (!strcmp(target, "/dev/vfio/vfio"))
			return d;
	}
	close(d);
	return -1;
}

static void fz_get_info(uint64_t *s, int fd)
{
	uint32_t argsz = fz_argsz(s, sizeof(struct vfio_iommu_type1_info));
	uint8_t a[512 + 64], b[512 + 64];
	uint32_t len = argsz < 512 ? argsz : 512;
	const char *why;
	long ra, rb;
	size_t i;

	if (argsz > 512) {
		/*
		 * A huge argsz goes to the kernel as it is: the reply it needs
		 * fits a page, and the next page faults, so a backend that
		 * wrote up to argsz would fail with EFAULT.  Threads share the
		 * page: only the ioctl's result is judged.
		 */
		uint8_t *g = P.guard;

		memcpy(g, &argsz, sizeof(argsz));
		fd = container_dup(fd);
		if (fd < 0)
			return;
		ra = fz_ioctl(fd, VFIO_IOMMU_GET_INFO, g);
		close(fd);
		if (ra == -EFAULT)
			fail("GET_INFO argsz %u wrote more than its reply", argsz);
		return;
	}
	memset(a, 0x00, sizeof(a));
	memset(b, 0xff, sizeof(b));
	memcpy(a, &argsz, sizeof(argsz));
	memcpy(b, &argsz, sizeof(argsz));
	/* On a device fd the same number is another ioctl: containers only. */
	fd = container_dup(fd);
	if (fd < 0)
		return;
	ra = fz_ioctl(fd, VFIO_IOMMU_GET_INFO, a);
	rb = fz_ioctl(fd, VFIO_IOMMU_GET_INFO, b);
	close(fd);
	if (ra || rb)
		return;		/* refused (no IOMMU set, argsz): fine */
	for (i = len; i < sizeof(a); i++)
		if (a[i] != 0x00 || b[i] != 0xff) {
			fail("GET_INFO argsz %u wrote byte %zu", argsz, i);
			return;
		}
	why = info_check(a, len, 0x00);
	if (!why)
		why = info_check(b, len, 0xff);
	if (why)
		fail("GET_INFO argsz %u: %s", argsz, why);
}

/* Half of the maps and unmaps are sane, so that they get past the checks. */
static bool sane(uint64_t *s)
{
	/* The harness's self-check: a fuzzer that does no real work must fail. */
	return rnd(s) % 2 && !getenv("VFIO_FUZZ_SABOTAGE");
}

static void fz_map(uint64_t *s, int fd)
{
	uint64_t n = rnd(s) % 16 + 1, k = rnd(s) % (BUF_PAGES - n);
	struct vfio_iommu_type1_dma_map ok = {
		.argsz = sizeof(ok),
		.flags = VFIO_DMA_MAP_FLAG_READ | (rnd(s) % 2 ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uintptr_t)P.buf + k * PAGE,
		.iova = (4ULL << 30) + k * PAGE,
		.size = n * PAGE,
	};
	struct vfio_iommu_type1_dma_map m = {
		.argsz = fz_argsz(s, sizeof(m)),
		.flags = fz_flags(s, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
				  VFIO_DMA_MAP_FLAG_VADDR),
		.vaddr = fz_vaddr(s),
		.iova = fz_iova(s),
		.size = fz_size(s),
	};

	bool is_ok = sane(s);

	if (fz_ioctl(fd, VFIO_IOMMU_MAP_DMA, is_ok ? &ok : &m))
		return;
	atomic_fetch_add(&P.maps, 1);
	if (!is_ok)
		return;
	/* Now and then straight away, while other threads work on it. */
	if (rnd(s) % 4 == 0) {
		uint64_t done = 0;

		if (!vt_unmap(fd, ok.iova, ok.size, 0, &done) && done)
			atomic_fetch_add(&P.unmaps, 1);
		atomic_fetch_add(&P.ioctls, 1);
		return;
	}
	/* Else for a later unmap to aim at, on the same fd (if it still is one). */
	atomic_store(&P.recent[rnd(s) % RECENT], (uint64_t)fd << 32 | k << 8 | n);
}

static void fz_unmap(uint64_t *s, int fd)
{
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} a = {
		.u = {
			.flags = fz_flags(s, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
					  VFIO_DMA_UNMAP_FLAG_VADDR |
					  VFIO_DMA_UNMAP_FLAG_ALL),
			.iova = rnd(s) % 4 ? fz_iova(s) : 0,
			.size = rnd(s) % 4 ? fz_size(s) : 0,
		},
		.b = {
			.pgsize = PICK(s, PAGE, PAGE, 0, 1, 2 * 1024 * 1024, rnd(s)),
			.size = PICK(s, 8, 64, 0, 1, 1ULL << 40, rnd(s)),
			.data = (void *)(uintptr_t)PICK(s, (uintptr_t)P.buf, 0,
							(uintptr_t)P.ro, (uintptr_t)P.hole,
							0xffff888000000000ULL),
		},
	};

	a.u.argsz = fz_argsz(s, a.u.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP ?
			     sizeof(a) : sizeof(a.u));
	if (sane(s)) {
		uint64_t n = rnd(s) % 32 + 1, k = rnd(s) % (BUF_PAGES - n);
		unsigned long hit = atomic_load(&P.recent[rnd(s) % RECENT]);

		/* Mostly exactly a mapping that worked: live mappings go too. */
		if (hit && rnd(s) % 4) {
			fd = hit >> 32;
			k = (hit >> 8) & 0xffffff;
			n = hit & 0xff;
		}
		a.u = (struct vfio_iommu_type1_dma_unmap) {
			.argsz = sizeof(a.u),
			.flags = rnd(s) % 16 ? 0 : VFIO_DMA_UNMAP_FLAG_ALL,
			.iova = (4ULL << 30) + k * PAGE,
			.size = n * PAGE,
		};
		if (a.u.flags) {
			a.u.iova = 0;
			a.u.size = 0;
		}
	}
	if (!fz_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &a) && a.u.size)
		atomic_fetch_add(&P.unmaps, 1);	/* size: bytes actually unmapped */
}

static void fz_dirty(uint64_t *s, int fd)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} a = {
		.d.flags = PICK(s, VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
				VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
				VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, 0, 3, 7, rnd(s)),
		.g = {
			.iova = fz_iova(s),
			.size = fz_size(s),
			.bitmap = {
				.pgsize = PICK(s, PAGE, 0, 1, 1ULL << 21),
				.size = PICK(s, 8, 64, 0, 1ULL << 40),
				.data = (void *)(uintptr_t)PICK(s, (uintptr_t)P.buf, 0,
								(uintptr_t)P.ro),
			},
		},
	};

	a.d.argsz = fz_argsz(s, sizeof(a));
	fz_ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &a);
}

static void fz_open_group(uint64_t *s)
{
	char path[64];
	int g = rnd(s) % 2 && P.f->group2 >= 0 ? P.f->group2 : P.f->group;
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	fd = open(path, O_RDWR);	/* EBUSY while another process has it */
	if (fd >= 0)
		slot_put(s, fd);
}

static void fz_group(uint64_t *s, int fd)
{
	struct vfio_group_status st = { .argsz = fz_argsz(s, sizeof(st)) };
	int c = slot_fd(s);

	switch (rnd(s) % 4) {
	case 0:
		fz_ioctl(fd, VFIO_GROUP_GET_STATUS, &st);
		break;
	case 1:
		if (!fz_ioctl(fd, VFIO_GROUP_SET_CONTAINER, &c))
			atomic_fetch_add(&P.attaches, 1);
		break;
	case 2:
		if (!fz_ioctl(fd, VFIO_GROUP_UNSET_CONTAINER, NULL))
			atomic_fetch_add(&P.detaches, 1);
		break;
	case 3:
		if (P.f->device) {
			int d = ioctl(fd, VFIO_GROUP_GET_DEVICE_FD, P.f->device);

			atomic_fetch_add(&P.ioctls, 1);
			if (d >= 0)
				slot_put(s, d);
		}
		break;
	}
}

/* A container that works: a group attached and an IOMMU type set. */
static void fz_setup(uint64_t *s)
{
	int c = open("/dev/vfio/vfio", O_RDWR), g;
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d",
		 rnd(s) % 2 && P.f->group2 >= 0 ? P.f->group2 : P.f->group);
	g = open(path, O_RDWR);
	if (c >= 0 && g >= 0 && !ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) &&
	    !ioctl(c, VFIO_SET_IOMMU, rnd(s) % 4 ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU))
		atomic_fetch_add(&P.attaches, 1);
	atomic_fetch_add(&P.ioctls, 2);
	if (c >= 0)
		slot_put(s, c);
	if (g >= 0)
		slot_put(s, g);
}

/* Children of a fork keep the fds a while, then exit or are killed. */
static void fz_fork(uint64_t *s)
{
	pid_t pid = fork();

	if (pid == 0) {
		uint64_t cs = rnd(s) | 1;
		int i;

		for (i = 0; i < 20; i++) {
			int fd = P.fd[rnd(&cs) % SLOTS];

			if (rnd(&cs) % 2)
				fz_map(&cs, fd);
			else
				fz_unmap(&cs, fd);
		}
		_exit(0);
	}
	if (pid > 0) {
		if (rnd(s) % 2)
			kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static void fz_step(uint64_t *s)
{
	int fd = slot_fd(s);
	unsigned long arg;

	switch (rnd(s) % 20) {
	case 0:
		if (rnd(s) % 2) {
			fz_setup(s);
			break;
		}
		fd = open("/dev/vfio/vfio", O_RDWR);
		if (fd >= 0)
			slot_put(s, fd);
		break;
	case 1:
		slot_put(s, -1);	/* close whatever was there */
		break;
	case 2:
		fz_open_group(s);
		break;
	case 3:
	case 4:
		fz_group(s, fd);
		break;
	case 5:
		arg = PICK(s, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU,
			   VFIO_TYPE1_NESTING_IOMMU, 0, 2, 7, rnd(s));
		fz_ioctl(fd, VFIO_SET_IOMMU, (void *)arg);
		break;
	case 6:
		arg = PICK(s, VFIO_TYPE1v2_IOMMU, VFIO_DMA_CC_IOMMU, VFIO_UNMAP_ALL,
			   VFIO_UPDATE_VADDR, 0, rnd(s));
		fz_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)arg);
		break;
	case 7:
	case 8:
		fz_get_info(s, fd);
		break;
	case 9:
	case 10:
	case 11:
	case 12:
		fz_map(s, fd);
		break;
	case 13:
	case 14:
	case 15:
		fz_unmap(s, fd);
		break;
	case 16:
		fz_dirty(s, fd);
		break;
	case 17:
		/* New pages under mappings that hold the old ones. */
		madvise(P.buf + (rnd(s) % BUF_PAGES) * PAGE, (rnd(s) % 8 + 1) * PAGE,
			MADV_DONTNEED);
		break;
	case 18:
		if (rnd(s) % 8 == 0)
			fz_fork(s);
		break;
	case 19:
		/* An ioctl number that is nobody's. */
		fz_ioctl(fd, _IO(VFIO_TYPE, VFIO_BASE + 40 + rnd(s) % 20), NULL);
		break;
	}
}

struct thread_arg {
	uint64_t seed;
};

/* Has this process done its share of real work? */
static bool fz_enough(void)
{
	const unsigned long *need = P.f->need;

	return atomic_load(&P.attaches) >= need[0] && atomic_load(&P.detaches) >= need[1] &&
	       atomic_load(&P.maps) >= need[2] && atomic_load(&P.unmaps) >= need[3];
}

/*
 * Fuzz for --seconds, and on a slow machine (an emulated guest under load)
 * longer, until the process did its share of real work, up to SLOW_FACTOR
 * times as long: the work a run must do is a count, never a rate.
 */
static void *fz_thread(void *arg)
{
	struct thread_arg *ta = arg;
	uint64_t s = ta->seed | 1;
	time_t now;

	while (!atomic_load(&P.failed) && ((now = time(NULL)) < P.deadline ||
					   (now < P.cap && !fz_enough())))
		for (int i = 0; i < 64; i++)
			fz_step(&s);
	return NULL;
}

/* The body of one fuzzing process; its exit status says ok (0) or not. */
static int fz_process(const struct fuzz *f, unsigned int id, int report)
{
	struct thread_arg ta[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	uint64_t seed = f->seed * 1000003 + id, s = seed | 1;
	unsigned int i;
	long vmlck;

	memset(&P, 0, sizeof(P));
	pthread_mutex_init(&P.why_lock, NULL);
	P.f = f;
	for (i = 0; i < SLOTS; i++)
		P.fd[i] = -1;
	P.buf = vt_buffer(BUF_PAGES * PAGE);
	P.ro = mmap(NULL, 16 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	P.hole = mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	P.guard = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!P.buf || P.ro == MAP_FAILED || P.hole == MAP_FAILED || P.guard == MAP_FAILED ||
	    mprotect(P.guard + PAGE, PAGE, PROT_NONE))
		return 2;
	munmap(P.hole, 16 * PAGE);	/* an address with nothing behind it */
	if (id % 2) {
		struct rlimit rl = { 64 * PAGE, 64 * PAGE };

		if (vt_drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl))
			return 2;
	}
	P.deadline = time(NULL) + f->seconds;
	P.cap = time(NULL) + (time_t)f->seconds * SLOW_FACTOR;
	for (i = 0; i < f->threads; i++) {
		ta[i].seed = rnd(&s);
		pthread_create(&th[i], NULL, fz_thread, &ta[i]);
	}
	for (i = 0; i < f->threads; i++)
		pthread_join(th[i], NULL);
	slot_close_all();
	vmlck = vt_vmlck_kb();
	if (!P.failed && vmlck != 0)
		fail("VmLck %ld kB with every fd closed", vmlck);
	dprintf(report, "%d %lu %llu %lu %lu %lu %lu %s\n", P.failed ? 1 : 0,
		atomic_load(&P.ioctls), (unsigned long long)seed, atomic_load(&P.attaches),
		atomic_load(&P.detaches), atomic_load(&P.maps), atomic_load(&P.unmaps),
		P.failed ? P.why : "-");
	return P.failed ? 1 : 0;
}

/* A mapping held by this process: the pin counter must see it. */
static int pins_visible(int group)
{
	struct ctx t = { .out = stderr, .name = "fuzz", .group = group };
	struct vt_cont vc;
	long before = vt_foll_pins(), during;
	void *buf = vt_buffer(4 * PAGE);

	if (!buf || vt_open(&t, &vc, VFIO_TYPE1v2_IOMMU))
		return 0;
	vt_map(vc.c, 4ULL << 30, 4 * PAGE, (uintptr_t)buf,
	       VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	during = vt_foll_pins();
	vt_close(&vc);
	munmap(buf, 4 * PAGE);
	if (during - before == 4 && vt_foll_pins() == before)
		return 1;
	printf("# pins before %ld, with a 4-page mapping %ld, after %ld\n", before, during,
	       vt_foll_pins());
	return 0;
}

int cmd_fuzz(int argc, char **argv)
{
	struct fuzz f = { .group = -1, .group2 = -1, .seconds = 20, .procs = 3,
			  .threads = 3, .slow = 1, .seed = (unsigned long long)time(NULL) };
	unsigned long long total = 0;
	int pipefd[2], i, failed = 0;
	unsigned long sum[4] = { 0 }, min[4];	/* attaches, detaches, maps, unmaps */
	long pins_before, pins_after;
	unsigned int reported = 0;
	time_t started;
	char line[512];
	FILE *r;

	for (i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--group"))
			f.group = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--group2"))
			f.group2 = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--device"))
			f.device = argv[i + 1];
		else if (!strcmp(argv[i], "--seconds"))
			f.seconds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			f.seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--procs"))
			f.procs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			f.threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--slow"))
			f.slow = atoi(argv[i + 1]);
		else
			break;
	}
	if (i != argc || f.group < 0 || !f.procs || !f.threads || f.threads > MAX_THREADS ||
	    !f.slow) {
		fprintf(stderr, "usage: vfio-tests fuzz --group N [--group2 M] [--device BDF]\n"
			"\t[--seconds S] [--seed X] [--procs P] [--threads T<=%d] [--slow K]\n",
			MAX_THREADS);
		return 2;
	}
	if (!pins_visible(f.group)) {
		printf("fuzz FAILED %s\n",
		       "the FOLL_PIN counters do not see a mapping: no leak check possible");
		return 1;
	}
	/*
	 * The least real work a run must do: per second of it, in all, on a
	 * Debian kernel.  A kernel K times slower (--slow: the sanitizer
	 * kernel's KASAN and lockdep) owes a K-th of it; the time allowed
	 * (SLOW_FACTOR) covers a loaded machine, not a slower kernel.
	 */
	min[0] = 2 * f.seconds;
	min[1] = f.seconds / 4;
	min[2] = 2 * f.seconds;
	min[3] = f.seconds;
	for (i = 0; i < 4; i++) {
		min[i] = (min[i] + f.slow - 1) / f.slow;
		f.need[i] = (min[i] + f.procs - 1) / f.procs;
	}
	started = time(NULL);
	pins_before = vt_foll_pins();
	if (pipe(pipefd))
		return 2;
	for (i = 0; i < (int)f.procs; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(pipefd[0]);
			_exit(fz_process(&f, i, pipefd[1]));
		}
	}
	close(pipefd[1]);
	r = fdopen(pipefd[0], "r");
	while (r && fgets(line, sizeof(line), r)) {
		unsigned long n, att, det, maps, unmaps;
		unsigned long long seed;
		char why[400];
		int bad;

		if (sscanf(line, "%d %lu %llu %lu %lu %lu %lu %399[^\n]", &bad, &n, &seed, &att,
			   &det, &maps, &unmaps, why) != 8)
			continue;
		total += n;
		sum[0] += att;
		sum[1] += det;
		sum[2] += maps;
		sum[3] += unmaps;
		reported++;
		printf("# fuzz process seed %llu: %lu ioctls", seed, n);
		printf(" (attached %lu, detached %lu, mapped %lu, unmapped %lu)%s%s\n", att, det,
		       maps, unmaps, bad ? ", FAILED: " : "", bad ? why : "");
		failed |= bad;
	}
	/* Every process and fork is gone, and with them every container. */
	for (i = 0; i < (int)f.procs; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) > 1) {
			printf("fuzz FAILED a process died (status %#x)\n", st);
			return 1;
		}
	}
	pins_after = vt_foll_pins();
	if (pins_after != pins_before) {
		printf("fuzz FAILED %ld pages still pinned after every process exited\n",
		       pins_after - pins_before);
		return 1;
	}
	if (failed) {
		printf("fuzz FAILED (see the process lines; seed %llu)\n", f.seed);
		return 1;
	}
	/*
	 * A fuzzer whose calls bounce off the argument checks tests nothing:
	 * it must have attached, detached, mapped and unmapped for real, in
	 * every process.
	 */
	for (i = 0; i < 4; i++)
		if (reported != f.procs || sum[i] < min[i]) {
			printf("fuzz FAILED too little real work: %u of %u processes reported; ",
			       reported, f.procs);
			printf("%lu attaches, %lu detaches, %lu maps, %lu unmaps ", sum[0], sum[1],
			       sum[2], sum[3]);
			printf("(at least %lu, %lu, %lu, %lu) in %lds\n", min[0], min[1], min[2],
			       min[3], (long)(time(NULL) - started));
			return 1;
		}
	printf("# fuzz work: %lu attaches, %lu detaches, %lu maps, %lu unmaps that succeeded\n",
	       sum[0], sum[1], sum[2], sum[3]);
	printf("fuzz ok %llu %u %ld\n", total, f.procs, (long)(time(NULL) - started));
	return 0;
}

/*
 * vfio-tests rmmod-refused --group N MODULE: while a container served by
 * MODULE holds a mapping, removing MODULE must fail and the container keep
 * working.  Prints "rmmod refused ..." when so.
 */
int cmd_rmmod_refused(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = "rmmod-refused" };
	void *buf = vt_buffer(PAGE);
	struct vt_cont vc;
	uint64_t done = 0;
	long r, m, u;

	if (argc != 5 || strcmp(argv[2], "--group") || !buf) {
		fprintf(stderr, "usage: vfio-tests rmmod-refused --group N MODULE\n");
		return 2;
	}
	t.group = atoi(argv[3]);
	if (vt_open(&t, &vc, VFIO_TYPE1v2_IOMMU)) {
		printf("cannot open a container: %s\n", t.why);
		return 1;
	}
	m = vt_map(vc.c, 4ULL << 30, PAGE, (uintptr_t)buf,
		   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	r = syscall(SYS_delete_module, argv[4], O_NONBLOCK) ? -errno : 0;
	u = vt_unmap(vc.c, 4ULL << 30, PAGE, 0, &done);
	vt_close(&vc);
	if (m || r == 0 || u || done != PAGE) {
		printf("map %ld, delete_module %ld, then unmap %ld (%llu bytes)\n", m, r, u,
		       (unsigned long long)done);
		return 1;
	}
	printf("rmmod refused while a container exists (%s), container still works\n",
	       strerror(-r));
	return 0;
}
