// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests bench WORKLOAD --group N [--group2 M]: run one workload once
 * against whichever type1 backend serves new containers, and print
 * "WORKLOAD NANOSECONDS" for its timed part.  tests/bench/ boots the guests,
 * alternates the backends and takes medians; nothing here judges a time.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

/* One mapping of @size bytes of @buf; time the map, or the unmap. */
static int one_mapping(int c, void *buf, uint64_t size, bool time_unmap, uint64_t *ns)
{
	uint64_t t0, done;

	t0 = now_ns();
	if (vt_map(c, IOVA_BASE, size, (uintptr_t)buf,
		   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return die("map");
	*ns = now_ns() - t0;
	t0 = now_ns();
	if (vt_unmap(c, IOVA_BASE, size, 0, &done) || done != size)
		return die("unmap");
	if (time_unmap)
		*ns = now_ns() - t0;
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

int cmd_bench(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = "bench", .group2 = -1 };
	const char *w;
	struct vt_cont vc;
	uint64_t ns = 0;
	void *buf;
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
	if (!strcmp(w, "mlock-1g")) {	/* the physical cost of pinning, no IOMMU */
		uint64_t t0;

		buf = vt_buffer(GIB);
		if (!buf)
			return die("buffer");
		t0 = now_ns();
		if (mlock(buf, GIB))
			return die("mlock");
		ns = now_ns() - t0;
		munmap(buf, GIB);
		ret = 0;
		goto out;
	}
	if (vt_open(&t, &vc, VFIO_TYPE1v2_IOMMU))
		return 1;
	if (!strcmp(w, "map-1g-4k") || !strcmp(w, "unmap-1g-4k")) {
		buf = vt_buffer(GIB);
		ret = buf ? one_mapping(vc.c, buf, GIB, w[0] == 'u', &ns) : die("buffer");
	} else if (!strcmp(w, "map-1g-2m")) {
		buf = mmap(NULL, GIB, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		ret = buf != MAP_FAILED ? one_mapping(vc.c, buf, GIB, false, &ns) :
		      die("hugetlb buffer (nr_hugepages?)");
	} else if (!strcmp(w, "map-65535x4k") || !strcmp(w, "unmap-all-65535") ||
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
