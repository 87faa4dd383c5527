// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests bench WORKLOAD --group N [--group2 M]: run one workload once
 * against whichever type1 backend serves new containers, and print a line
 * "NAME NANOSECONDS [PIN_FLOOR MLOCK_FLOOR]" for each timed part (the
 * floors: the same pages pinned, and mlocked, without an IOMMU).
 * tests/bench/ boots the guests, alternates the backends and takes
 * medians; nothing here judges a time.
 */
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "vt.h"

#define GIB (1024ULL * 1024 * 1024)
#define IOVA_BASE (4ULL << 30)	/* valid on every layout we boot */
#define MANY 65535		/* the default dma_entry_limit */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	return 1;
}

/*
 * Memory as VMs use it, in one of three kinds:
 *   4k   anonymous 4 KiB pages (MADV_NOHUGEPAGE), faulted in a scattered
 *        order so that no two neighbours are physically contiguous
 *        (checked): every page is a run of its own, the worst case;
 *   thp  anonymous memory with MADV_HUGEPAGE, 2 MiB aligned (QEMU's guest
 *        RAM), checked to be wholly backed by transparent huge pages;
 *   2m   hugetlbfs 2 MiB pages (nr_hugepages is set for the run).
 */
enum kind { K4K, KTHP, K2M };
static const char *const kind_name[] = { "4k", "thp", "2m" };

#define HUGE (2ULL << 20)

/* AnonHugePages of this process, in bytes (smaps_rollup). */
static long long anon_huge(void)
{
	long kb = vt_proc_kb("/proc/self/smaps_rollup", "AnonHugePages");

	return kb < 0 ? -1 : kb * 1024LL;
}

static int set_hugepages(uint64_t n)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");
	unsigned long long got = 0;

	if (!f || fprintf(f, "%llu\n", (unsigned long long)n) < 0 || fclose(f))
		return -1;
	f = fopen("/proc/sys/vm/nr_hugepages", "r");
	if (!f || fscanf(f, "%llu", &got) != 1)
		got = 0;
	if (f)
		fclose(f);
	return got == n ? 0 : -1;
}

/* @size bytes of memory of @kind, pre-faulted; NULL (with a message) if not. */
static uint8_t *kind_buffer(enum kind k, uint64_t size)
{
	uint8_t *p, *buf;
	long long huge;
	uint64_t i;
	long pairs;

	if (k == K2M) {
		if (set_hugepages(size / HUGE)) {
			fprintf(stderr, "bench: cannot reserve %llu huge pages\n",
				(unsigned long long)(size / HUGE));
			return NULL;
		}
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		return p == MAP_FAILED ? (die("hugetlb buffer"), NULL) : p;
	}
	/* Aligned to 2 MiB: the unaligned ends cannot be huge pages. */
	p = mmap(NULL, size + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return die("buffer"), NULL;
	buf = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	if (buf > p)
		munmap(p, buf - p);
	munmap(buf + size, p + HUGE - buf);
	if (madvise(buf, size, k == KTHP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return die("madvise"), NULL;
	huge = anon_huge();
	if (k == KTHP) {
		for (i = 0; i < size; i += PAGE)
			buf[i] = 1;
		if (anon_huge() - huge < (long long)size) {
			fprintf(stderr, "bench: only %lld of %llu bytes are THP\n",
				anon_huge() - huge, (unsigned long long)size);
			return NULL;
		}
		return buf;
	}
	vt_fault_scattered(buf, size);
	pairs = vt_contiguous_pairs(buf, size);
	if (anon_huge() != huge || pairs < 0 || pairs > (long)(size / PAGE / 10)) {
		fprintf(stderr, "bench: 4 KiB pages not fragmented (%ld contiguous)\n", pairs);
		return NULL;
	}
	return buf;
}

static void kind_free(enum kind k, uint8_t *buf, uint64_t size)
{
	munmap(buf, size);
	if (k == K2M)
		set_hugepages(0);
}

/*
 * The pinning floor of the same pages, without an IOMMU: registering them
 * as io_uring fixed buffers pins them as ours does (FOLL_LONGTERM, one
 * buffer per GiB at most), unregistering unpins them.  Times both.
 */
static int pin_floor(uint8_t *buf, uint64_t size, uint64_t *pin, uint64_t *unpin)
{
	struct io_uring_params p = { 0 };
	struct iovec iov[16];
	unsigned int n = 0;
	uint64_t off, t0;
	int fd;

	for (off = 0; off < size && n < ARRAY_SIZE(iov); off += GIB, n++)
		iov[n] = (struct iovec){ buf + off, size - off < GIB ? size - off : GIB };
	fd = syscall(__NR_io_uring_setup, 1, &p);
	if (fd < 0)
		return die("io_uring_setup");
	t0 = now_ns();
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, iov, n))
		return close(fd), die("io_uring buffer registration");
	*pin = now_ns() - t0;
	t0 = now_ns();
	if (syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0))
		return close(fd), die("io_uring buffer unregistration");
	*unpin = now_ns() - t0;
	close(fd);
	return 0;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'm': return v << 20;
	case 'g': return v << 30;
	}
	return 0;
}

/* The median of @n values (sorts them). */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * How often map-unmap-KIND-SIZE repeats on the same pages: a map of 64 MiB
 * of huge pages takes about a millisecond, which one timer interrupt or
 * the other guest's burst can double, so small sizes take the median of
 * several; 4 GiB of 4 KiB pages takes seconds and is timed once.
 */
#define MAP_REPS_MAX 7

static unsigned int map_reps(uint64_t size)
{
	return size <= GIB / 4 ? MAP_REPS_MAX : size <= GIB ? 3 : 1;
}

/*
 * map-unmap-KIND-SIZE: one mapping of SIZE (64m, 1g, ...) of memory of
 * KIND, map_reps() times on the same pages; prints the medians of the map
 * and of the unmap, each with the floors measured on the same pages just
 * before: pinning them (io_uring) and mlock, resp. unpinning and munlock.
 */
static int map_unmap(int c, enum kind k, const char *size_name)
{
	uint64_t size = parse_size(size_name), t0, done;
	uint64_t pin[MAP_REPS_MAX], unpin[MAP_REPS_MAX], lock[MAP_REPS_MAX];
	uint64_t unlock[MAP_REPS_MAX], map[MAP_REPS_MAX], unmap[MAP_REPS_MAX];
	unsigned int r, reps = map_reps(size);
	uint8_t *buf;

	if (!size)
		return 2;
	buf = kind_buffer(k, size);
	if (!buf)
		return 1;
	for (r = 0; r < reps; r++) {
		if (pin_floor(buf, size, &pin[r], &unpin[r]))
			return 1;
		t0 = now_ns();
		if (mlock(buf, size))
			return die("mlock");
		lock[r] = now_ns() - t0;
		t0 = now_ns();
		if (munlock(buf, size))
			return die("munlock");
		unlock[r] = now_ns() - t0;

		t0 = now_ns();
		if (vt_map(c, IOVA_BASE, size, (uintptr_t)buf,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
			return die("map");
		map[r] = now_ns() - t0;
		t0 = now_ns();
		if (vt_unmap(c, IOVA_BASE, size, 0, &done) || done != size)
			return die("unmap");
		unmap[r] = now_ns() - t0;
	}
	kind_free(k, buf, size);
	printf("map-%s-%s %llu %llu %llu\n", size_name, kind_name[k],
	       (unsigned long long)median(map, reps), (unsigned long long)median(pin, reps),
	       (unsigned long long)median(lock, reps));
	printf("unmap-%s-%s %llu %llu %llu\n", size_name, kind_name[k],
	       (unsigned long long)median(unmap, reps), (unsigned long long)median(unpin, reps),
	       (unsigned long long)median(unlock, reps));
	return 0;
}

/* MANY 4 KiB mappings; time the maps, the unmap-all, or the unmaps one by one. */
static int many(int c, const char *what, uint64_t *ns)
{
	uint8_t *buf = vt_buffer(MANY * PAGE);
	uint64_t t0, done, i;

	if (!buf)
		return die("buffer");
	t0 = now_ns();
	for (i = 0; i < MANY; i++)
		if (vt_map(c, IOVA_BASE + i * PAGE, PAGE, (uintptr_t)(buf + i * PAGE),
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
			return die("map");
	*ns = now_ns() - t0;
	t0 = now_ns();
	if (!strcmp(what, "unmap-one-by-one")) {
		for (i = 0; i < MANY; i++)
			if (vt_unmap(c, IOVA_BASE + i * PAGE, PAGE, 0, &done) || done != PAGE)
				return die("unmap");
	} else if (vt_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done) || done != MANY * PAGE) {
		return die("unmap all");
	}
	if (strcmp(what, "map-65535x4k"))
		*ns = now_ns() - t0;
	munmap(buf, MANY * PAGE);
	return 0;
}

struct worker {
	int c, id;
	uint8_t *buf;
	int err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t iova = IOVA_BASE + (uint64_t)w->id * GIB, done;
	int i;

	for (i = 0; i < 5000 && !w->err; i++) {
		if (vt_map(w->c, iova, PAGE, (uintptr_t)w->buf, VFIO_DMA_MAP_FLAG_READ) ||
		    vt_unmap(w->c, iova, PAGE, 0, &done) || done != PAGE)
			w->err = errno ? errno : EIO;
	}
	return NULL;
}

static int threads(int c, uint64_t *ns)
{
	struct worker w[4];
	pthread_t th[4];
	uint64_t t0;
	int i, err = 0;

	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .c = c, .id = i, .buf = vt_buffer(PAGE) };
		if (!w[i].buf)
			return die("buffer");
	}
	t0 = now_ns();
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, work, &w[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		err |= w[i].err;
	}
	*ns = now_ns() - t0;
	errno = err;
	return err ? die("threads") : 0;
}

/* Attach @group2 to a container that holds 10,000 mappings (mean of 10). */
#define ATTACHES 10
static int attach(struct ctx *t, int group2, uint64_t *ns)
{
	uint8_t *buf = vt_buffer(10000 * PAGE);
	struct vt_cont vc;
	uint64_t t0, i;
	char path[32];
	int g2;

	if (!buf || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return die("open");
	for (i = 0; i < 10000; i++)
		if (vt_map(vc.c, IOVA_BASE + 2 * i * PAGE, PAGE, (uintptr_t)(buf + i * PAGE),
			   VFIO_DMA_MAP_FLAG_READ))
			return die("map");
	snprintf(path, sizeof(path), "/dev/vfio/%d", group2);
	*ns = 0;
	for (i = 0; i < ATTACHES; i++) {
		g2 = open(path, O_RDWR);
		if (g2 < 0)
			return die(path);
		t0 = now_ns();
		if (ioctl(g2, VFIO_GROUP_SET_CONTAINER, &vc.c))
			return die("attach");
		*ns += now_ns() - t0;
		ioctl(g2, VFIO_GROUP_UNSET_CONTAINER);
		close(g2);
	}
	*ns /= ATTACHES;
	vt_close(&vc);
	munmap(buf, 10000 * PAGE);
	return 0;
}

/*
 * release: the mean time of VFIO_GROUP_UNSET_CONTAINER on a container's
 * only group, which releases the container (no mappings: the backend's
 * fixed cost of a container's end).
 */
#define RELEASES 100

static int release(struct ctx *t, uint64_t *ns)
{
	struct vt_cont vc;
	uint64_t t0;
	int i;

	*ns = 0;
	for (i = 0; i < RELEASES; i++) {
		if (vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
			return die("open");
		t0 = now_ns();
		if (ioctl(vc.g, VFIO_GROUP_UNSET_CONTAINER))
			return die("unset container");
		*ns += now_ns() - t0;
		vt_close(&vc);
	}
	*ns /= RELEASES;
	return 0;
}

/*
 * map-at-N / unmap-at-N: the mean time of one more 4 KiB map, and of its
 * unmap, while N mappings are present, for N from 1,000 to 65,534 (the
 * default dma_entry_limit leaves room for the one more).  The mappings
 * take every other page; the timed one goes into a hole in the middle.
 */
#define AT_REPEAT 1000
static int count_series(int c)
{
	static const unsigned int points[] = { 1000, 4000, 16000, 65534 };
	uint8_t *buf = vt_buffer(MANY * PAGE);
	uint64_t t0, map, unmap, done, iova;
	unsigned int p, n = 0, i;

	if (!buf)
		return die("buffer");
	for (p = 0; p < ARRAY_SIZE(points); p++) {
		for (; n < points[p]; n++)
			if (vt_map(c, IOVA_BASE + 2 * n * PAGE, PAGE, (uintptr_t)(buf + n * PAGE),
				   VFIO_DMA_MAP_FLAG_READ))
				return die("map");
		iova = IOVA_BASE + (n | 1) * PAGE;
		map = 0;
		unmap = 0;
		for (i = 0; i < AT_REPEAT; i++) {
			t0 = now_ns();
			if (vt_map(c, iova, PAGE, (uintptr_t)buf, VFIO_DMA_MAP_FLAG_READ))
				return die("map one more");
			map += now_ns() - t0;
			t0 = now_ns();
			if (vt_unmap(c, iova, PAGE, 0, &done) || done != PAGE)
				return die("unmap one more");
			unmap += now_ns() - t0;
		}
		printf("map-at-%u %llu\n", n, (unsigned long long)(map / AT_REPEAT));
		printf("unmap-at-%u %llu\n", n, (unsigned long long)(unmap / AT_REPEAT));
	}
	munmap(buf, MANY * PAGE);
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = "bench", .group2 = -1 };
	const char *w;
	struct vt_cont vc;
	uint64_t ns = 0;
	int i, ret;

	if (argc < 5 || strcmp(argv[3], "--group"))
		return 2;
	w = argv[2];
	t.group = atoi(argv[4]);
	for (i = 5; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], "--group2"))
			t.group2 = atoi(argv[i + 1]);

	if (!strcmp(w, "attach-10000")) {
		if (t.group2 < 0)
			return 2;
		ret = attach(&t, t.group2, &ns);
		goto out;
	}
	if (!strcmp(w, "release")) {
		ret = release(&t, &ns);
		goto out;
	}
	if (vt_open(&t, &vc, VFIO_TYPE1v2_IOMMU))
		return 1;
	if (!strncmp(w, "map-unmap-", 10)) {
		ret = 2;
		for (i = 0; i < (int)ARRAY_SIZE(kind_name); i++)
			if (!strncmp(w + 10, kind_name[i], strlen(kind_name[i])) &&
			    w[10 + strlen(kind_name[i])] == '-')
				ret = map_unmap(vc.c, i, w + 11 + strlen(kind_name[i]));
		vt_close(&vc);
		return ret;
	}
	if (!strcmp(w, "count-series")) {
		ret = count_series(vc.c);
		vt_close(&vc);
		return ret;
	}
	if (!strcmp(w, "map-65535x4k") || !strcmp(w, "unmap-all-65535") ||
	    !strcmp(w, "unmap-one-by-one")) {
		ret = many(vc.c, w, &ns);
	} else if (!strcmp(w, "get-info")) {
		static uint64_t info[512];	/* room for every capability */
		struct vfio_iommu_type1_info *in = (void *)info;
		uint64_t t0 = now_ns();

		for (i = 0; i < 10000; i++) {
			in->argsz = sizeof(info);
			if (ioctl(vc.c, VFIO_IOMMU_GET_INFO, in))
				return die("get-info");
		}
		ns = (now_ns() - t0) / 10000;
		ret = 0;
	} else if (!strcmp(w, "threads-4")) {
		ret = threads(vc.c, &ns);
	} else {
		fprintf(stderr, "bench: unknown workload %s\n", w);
		return 2;
	}
	vt_close(&vc);
out:
	if (!ret)
		printf("%s %llu\n", w, (unsigned long long)ns);
	return ret;
}
