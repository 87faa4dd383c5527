// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests inject --group N --device BDF --group2 M --mdev-group G --mdev-uuid UUID
 *
 * Allocation and IOMMU failures, one at a time, in every place our backend
 * can meet one; needs the test build of our module (src/inject.h), loaded.
 *
 * Fixed scenarios are run once per injection point: with fail-nth = 1, 2,
 * ..., until a scenario passes all points without meeting the Nth.  The
 * first: open, attach, maps of 4 KiB pages in small and large batches, a
 * second group whose domain gets the mappings replayed (sharing the first
 * one's domain, then with a domain of its own), dirty tracking, unmaps, and
 * a test-mdev container that pins.  The second: an IOMMU group joins a
 * container of the test mdev that has mappings already (they are pinned
 * then).  Each time:
 *  - the step that met the failure fails with ENOMEM, and nothing else;
 *    no step fails only where the failure just makes the work slower
 *    (may_absorb());
 *  - then, injection off, the container still works: a fresh page maps,
 *    the device's DMA reads what is mapped at IOVA_SMALL, and an unmap of
 *    everything removes exactly what the steps mapped (unless the
 *    container itself could not be set up);
 *  - after closing everything, VmLck and the system's FOLL_PIN counters are
 *    back where they started and the module is no longer in use.
 * Then a path only two failures reach (fail-func): the second group can
 * neither join the first one's domain nor go back to its own.  Last, with
 * no failure injected, the page size while dirty tracking is on, with
 * IOMMU pages larger than the CPU's (pgsize-min): pgsize_guard().
 * Prints one line: ok - ... / not ok - ...: WHY, and # lines with the
 * injection points met.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vt.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define FAIL_NTH "/sys/kernel/debug/vfio-iommu-iova/fail-nth"
#define FAIL_SITE "/sys/kernel/debug/vfio-iommu-iova/fail-site"
#define FAIL_FUNC "/sys/kernel/debug/vfio-iommu-iova/fail-func"
#define PGSIZE_MIN "/sys/kernel/debug/vfio-iommu-iova/pgsize-min"
#define MAX_POINTS 5000
#define MAX_SITES 64

/* The memory of one scenario run. */
struct mem {
	char *small, *big, *ro, *spare, *mdev;
};

#define SMALL_SIZE (4 * PAGE)		/* a batch on the stack */
#define BIG_SIZE (128 * PAGE)		/* allocated batch and run starts, scattered pages: runs */
#define IOVA_SMALL 0x100000ULL
#define IOVA_BIG 0x400000ULL
#define IOVA_RO 0x800000ULL
#define IOVA_SPARE 0xc00000ULL

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

static long read_long(const char *path, char *word, size_t len)
{
	char buf[128] = "";
	long v = -1;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = 0;
		close(fd);
	}
	if (word) {
		/* "function:line count" */
		if (sscanf(buf, "%127s %ld", word, &v) != 2)
			snprintf(word, len, "?");
		return v;
	}
	return sscanf(buf, "%ld", &v) == 1 ? v : -1;
}

/*
 * One run of a scenario: its steps' outcome, and what it left open for the
 * checks that follow with injection off.
 */
#define MAX_CONTAINERS 4

/* This process's containers of ours and their refusal counts. */
struct refusals {
	int id[MAX_CONTAINERS];
	long count[MAX_CONTAINERS];
	int nr;
};

struct run {
	struct refusals seen;	/* as of the last step */
	int fails;		/* steps that failed */
	const char *what;	/* the last step */
	struct vt_cont vc, mc;	/* the edu container, the test mdev's */
	int g2, dev, g;		/* second group, mdev device, a group joining mc */
	int check;		/* the container checked after the run, or -1 */
	int dma_group;		/* a group fd of t->device attached to it, or -1 */
	uint64_t mapped;	/* bytes mapped there, by the steps that worked */
	const char *at_small;	/* what IOVA_SMALL maps there, or NULL */
};

static void run_init(struct run *run)
{
	*run = (struct run) { .what = "setup", .vc = { -1, -1 }, .mc = { -1, -1 },
			      .g2 = -1, .dev = -1, .g = -1, .check = -1, .dma_group = -1 };
}

static void run_close(struct run *run)
{
	if (run->dev >= 0)
		close(run->dev);
	if (run->g2 >= 0)
		close(run->g2);
	if (run->g >= 0)
		close(run->g);
	vt_close(&run->mc);
	vt_close(&run->vc);
}

/* The refusals of this process's containers now; the newest reason in @why. */
static void refusals_read(struct refusals *r, const struct refusals *before, char *why, size_t len)
{
	FILE *f = fopen("/sys/kernel/debug/vfio-iommu-iova/containers", "r");
	char line[256], path[96];
	int id, pid, i;

	r->nr = 0;
	if (why)
		snprintf(why, len, "none");
	while (f && fgets(line, sizeof(line), f) && r->nr < MAX_CONTAINERS) {
		FILE *c;
		long n = 0;

		if (sscanf(line, "%d %d", &id, &pid) != 2 || pid != getpid())
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/vfio-iommu-iova/%d/refusals", id);
		c = fopen(path, "r");
		while (c && fgets(line, sizeof(line), c)) {
			if (sscanf(line, "refusals: %ld", &n) == 1)
				continue;
			/* A container whose count grew since @before says why. */
			for (i = 0; why && before && i < before->nr; i++)
				if (before->id[i] == id && before->count[i] == n)
					break;
			if (why && (!before || i == before->nr))
				sscanf(line, "last_reason: %63s", why);
		}
		if (c)
			fclose(c);
		r->id[r->nr] = id;
		r->count[r->nr++] = n;
	}
	if (f)
		fclose(f);
}

/* Did a new refusal of ours say why: one of the reasons a failure injected can give? */
static bool refusal_said(const struct refusals *before, char *why, size_t len)
{
	struct refusals now;

	refusals_read(&now, before, why, len);
	return !strcmp(why, "no_memory") || !strcmp(why, "iommu") || !strcmp(why, "pin");
}

/*
 * One step of the scenario: returns true when it went on.  A failure is
 * only allowed while the injection is pending (then it must be ENOMEM); it
 * ends the run.
 */
static bool step(struct ctx *t, struct run *run, const char *what, long r)
{
	char why[64];

	run->what = what;
	/* The harness's self-check: a test that misses failures must fail. */
	if (!r || getenv("VFIO_INJECT_SABOTAGE")) {
		refusals_read(&run->seen, NULL, NULL, 0);
		return true;
	}
	run->fails++;
	CHECK(t, r == -ENOMEM, "%s failed with %s, not ENOMEM", what, strerror((int)-r));
	/*
	 * It says why, where a container is left to say it (a failed
	 * VFIO_SET_IOMMU takes its container along).
	 */
	CHECK(t, !strcmp(what, "VFIO_SET_IOMMU") || !strcmp(what, "VFIO_GROUP_SET_CONTAINER") ||
	      refusal_said(&run->seen, why, sizeof(why)),
	      "%s failed without a reason of no_memory, iommu or pin: %s", what, why);
	return false;
}

/* A map step; what it maps counts in run->mapped. */
static bool map_step(struct ctx *t, struct run *run, const char *what, int c, uint64_t iova,
		     uint64_t size, const char *buf, uint32_t flags)
{
	if (!step(t, run, what, vt_map(c, iova, size, (uintptr_t)buf, flags)))
		return false;
	run->mapped += size;
	if (iova == IOVA_SMALL)
		run->at_small = buf;
	return true;
}

/*
 * After a run, with injection off: the container must still map a fresh
 * page, its device must still reach what IOVA_SMALL maps (edu DMA), and an
 * unmap of everything must remove exactly what the steps mapped.
 */
static void verify(struct ctx *t, struct run *run, struct mem *m)
{
	struct edu e = { -1, MAP_FAILED, 0 };
	uint64_t unmapped = 0;
	long r;

	if (run->check < 0)
		return;
	r = vt_map(run->check, IOVA_SPARE, PAGE, (uintptr_t)m->spare, RW);
	CHECK(t, !r, "after %s, a fresh map fails: %s", run->what, strerror((int)-r));
	if (!r && run->at_small && run->dma_group >= 0 &&
	    !edu_open(t, run->dma_group, t->device, &e)) {
		memset(m->spare, 0, EDU_XFER);
		r = edu_copy(&e, IOVA_SMALL, IOVA_SPARE);
		CHECK(t, !r && !memcmp(m->spare, run->at_small, EDU_XFER),
		      "after %s, DMA from IOVA %#llx %s", run->what, IOVA_SMALL,
		      r ? "timed out" : "did not read what is mapped there");
	}
	edu_close(&e);
	r = vt_unmap(run->check, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped);
	CHECK(t, !r && unmapped == run->mapped + PAGE,
	      "after %s, unmap of everything: %ld, %llu bytes, not %llu", run->what, r,
	      (unsigned long long)unmapped, (unsigned long long)(run->mapped + PAGE));
}

/* A container of @group, set up step by step; true when it is ours. */
static bool setup(struct ctx *t, struct run *run, struct vt_cont *vc, int group)
{
	char path[64];

	vc->c = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	vc->g = open(path, O_RDWR);
	CHECK(t, vc->c >= 0 && vc->g >= 0, "open the container and group %d", group);
	return vc->c >= 0 && vc->g >= 0 &&
	       step(t, run, "VFIO_GROUP_SET_CONTAINER",
		    xioctl(vc->g, VFIO_GROUP_SET_CONTAINER, &vc->c)) &&
	       step(t, run, "VFIO_SET_IOMMU",
		    xioctl(vc->c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU));
}

/* Maps, a second group, dirty tracking and an unmap on the edu container. */
static bool container_steps(struct ctx *t, struct run *run, struct mem *m)
{
	const uint32_t dsz = sizeof(struct vfio_iommu_type1_dirty_bitmap);
	uint64_t bits[4], unmapped;
	int c = run->vc.c;
	char path[64];

	if (!map_step(t, run, "map (small)", c, IOVA_SMALL, SMALL_SIZE, m->small, RW) ||
	    !map_step(t, run, "map (big)", c, IOVA_BIG, BIG_SIZE, m->big, RW) ||
	    !map_step(t, run, "map (read-only)", c, IOVA_RO, PAGE, m->ro, VFIO_DMA_MAP_FLAG_READ))
		return false;
	if (t->group2 >= 0) {
		snprintf(path, sizeof(path), "/dev/vfio/%d", t->group2);
		run->g2 = open(path, O_RDWR);
		CHECK(t, run->g2 >= 0, "open group %d", t->group2);
		if (run->g2 >= 0 && !step(t, run, "attach of a second group",
					  xioctl(run->g2, VFIO_GROUP_SET_CONTAINER, &c)))
			return false;
	}
	if (!step(t, run, "dirty tracking start",
		  dirty_flags(c, dsz, VFIO_IOMMU_DIRTY_PAGES_FLAG_START)) ||
	    !step(t, run, "dirty bitmap",
		  dirty_get(c, IOVA_BIG, BIG_SIZE, PAGE, sizeof(bits), bits)) ||
	    !step(t, run, "dirty tracking stop",
		  dirty_flags(c, dsz, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)) ||
	    !step(t, run, "unmap (big)", vt_unmap(c, IOVA_BIG, BIG_SIZE, 0, &unmapped)))
		return false;
	run->mapped -= BIG_SIZE;
	return true;
}

/* An emulated user: the test mdev pins through vfio_pin_pages(). */
static void mdev_steps(struct ctx *t, struct run *run, struct mem *m)
{
	long r;

	if (!setup(t, run, &run->mc, t->mdev_group))
		return;
	run->dev = xioctl(run->mc.g, VFIO_GROUP_GET_DEVICE_FD, (void *)t->mdev_uuid);
	CHECK(t, run->dev >= 0, "VFIO_GROUP_GET_DEVICE_FD(%s): %d", t->mdev_uuid, run->dev);
	if (!step(t, run, "map (mdev)",
		  vt_map(run->mc.c, IOVA_SMALL, SMALL_SIZE, (uintptr_t)m->mdev, RW)))
		return;
	r = mdev_cmd(t, NULL, "pin %llx 2 3", IOVA_SMALL);
	if (step(t, run, "emulated pin", r == 2 ? 0 : r))
		mdev_cmd(t, NULL, "unpin %llx 2", IOVA_SMALL);
}

/* One run; returns how many steps failed. */
static int scenario(struct ctx *t, struct mem *m, struct run *run)
{
	if (setup(t, run, &run->vc, t->group)) {
		/* Our container exists: it must survive whatever fails next. */
		run->check = run->vc.c;
		run->dma_group = run->vc.g;
		if (container_steps(t, run, m) && t->mdev_group >= 0)
			mdev_steps(t, run, m);
	}
	return run->fails;
}

/*
 * The first IOMMU group joins a container that has only an emulated group:
 * its mappings are pinned, charged and mapped into the new domain then.
 */
static int scenario_emulated_first(struct ctx *t, struct mem *m, struct run *run)
{
	char path[64];

	if (!setup(t, run, &run->mc, t->mdev_group))
		return run->fails;
	run->check = run->mc.c;
	if (!map_step(t, run, "map (mdev)", run->mc.c, IOVA_SMALL, SMALL_SIZE, m->mdev, RW) ||
	    !map_step(t, run, "map (big, mdev)", run->mc.c, IOVA_BIG, BIG_SIZE, m->big, RW))
		return run->fails;
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group);
	run->g = open(path, O_RDWR);
	CHECK(t, run->g >= 0, "open group %d", t->group);
	if (run->g >= 0 && step(t, run, "attach of an IOMMU group to an emulated container",
				xioctl(run->g, VFIO_GROUP_SET_CONTAINER, &run->mc.c)))
		run->dma_group = run->g;
	return run->fails;
}

/*
 * Injection points where a failure only makes the work slower, never
 * wrong, so no step fails: an unmap with a smaller batch, an unmap the
 * IOMMU did in two parts, a group that gets a domain of its own instead of
 * joining another.  A failure anywhere else must fail a step.
 */
static bool may_absorb(const char *site)
{
	static const char *const absorbing[] = {
		"vfio_iova_unmap_unpin:", "vfio_iova_unmap_fast:", "vfio_iova_attach_existing:",
		"vfio_iova_runs_init:",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(absorbing); i++)
		if (!strncmp(site, absorbing[i], strlen(absorbing[i])))
			return true;
	return false;
}

/* The distinct injection points met, as "function:line". */
struct sites {
	int n;
	char name[MAX_SITES][128];
};

/* Was a point of function @prefix ("name:") met? */
static bool met(const struct sites *s, const char *prefix)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strncmp(s->name[i], prefix, strlen(prefix)))
			return true;
	return false;
}

static void add_site(struct sites *s, const char *name)
{
	int i;

	for (i = 0; i < s->n && strcmp(s->name[i], name); i++)
		;
	if (i == s->n && s->n < MAX_SITES)
		snprintf(s->name[s->n++], sizeof(s->name[0]), "%s", name);
}

/* fail-nth = 1, 2, ... until the scenario meets no Nth point; returns N - 1. */
static int every_point(struct ctx *t, struct mem *m, struct sites *sites,
		       int (*fn)(struct ctx *t, struct mem *m, struct run *run))
{
	long pins0 = vt_foll_pins(), vmlck0 = vt_vmlck_kb(), pending;
	char nth[16], site[128];
	struct run run;
	int n, fails;

	for (n = 1; n <= MAX_POINTS && !t->why[0]; n++) {
		snprintf(nth, sizeof(nth), "%d", n);
		if (write_file(FAIL_NTH, nth)) {
			vt_fail(t, "cannot write %s", FAIL_NTH);
			break;
		}
		run_init(&run);
		fails = fn(t, m, &run);
		pending = read_long(FAIL_NTH, NULL, 0);
		write_file(FAIL_NTH, "0");
		read_long(FAIL_SITE, site, sizeof(site));
		CHECK(t, !pending || !fails, "fail-nth %d: a step failed, none was injected", n);
		CHECK(t, pending || fails || may_absorb(site),
		      "fail-nth %d: the failure injected at %s made no step fail", n, site);
		verify(t, &run, m);
		run_close(&run);
		CHECK(t, vt_vmlck_kb() == vmlck0, "fail-nth %d: VmLck %ld kB, %ld at the start", n,
		      vt_vmlck_kb(), vmlck0);
		CHECK(t, vt_foll_pins() == pins0, "fail-nth %d: %ld pages left pinned", n,
		      vt_foll_pins() - pins0);
		CHECK(t, module_refcnt("vfio_iommu_iova") == 0,
		      "fail-nth %d: vfio_iommu_iova still in use after closing everything", n);
		if (pending)
			return n - 1;	/* the scenario passed every point: done */
		add_site(sites, site);
		if (t->why[0])
			printf("# broken by injection point %d (%s)\n", n, site);
	}
	vt_fail(t, "more than %d injection points, or broken", MAX_POINTS);
	return n;
}

/*
 * A path only a second failure reaches: the second group can join neither
 * the first one's domain (as a sibling, or moved there from its own) nor
 * go back to its own.  Then it is in no domain at all, and the attach must
 * fail, leaving the container as it was.
 */
static void reuse_abort(struct ctx *t, struct mem *m)
{
	long pins0 = vt_foll_pins(), vmlck0 = vt_vmlck_kb(), r;
	struct run run;
	char path[64];

	run_init(&run);
	CHECK(t, t->group2 >= 0, "reuse abort: this scenario needs a second group");
	if (t->group2 < 0 || !setup(t, &run, &run.vc, t->group))
		goto out;
	run.check = run.vc.c;
	run.dma_group = run.vc.g;
	if (!map_step(t, &run, "map (small)", run.vc.c, IOVA_SMALL, SMALL_SIZE, m->small, RW))
		goto out;
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group2);
	run.g2 = open(path, O_RDWR);
	CHECK(t, run.g2 >= 0, "open group %d", t->group2);
	if (run.g2 < 0)
		goto out;
	if (write_file(FAIL_FUNC, "vfio_iova_attach_existing vfio_iova_reuse_domain\n")) {
		vt_fail(t, "cannot write %s", FAIL_FUNC);
		goto out;
	}
	r = xioctl(run.g2, VFIO_GROUP_SET_CONTAINER, &run.vc.c);
	write_file(FAIL_FUNC, "-\n");
	CHECK(t, r == -ENOMEM, "an attach that left its group in no domain: %ld, not ENOMEM", r);
	if (!r)
		xioctl(run.g2, VFIO_GROUP_UNSET_CONTAINER, NULL);
	run.what = "an attach that left its group in no domain";
	verify(t, &run, m);
	r = xioctl(run.g2, VFIO_GROUP_SET_CONTAINER, &run.vc.c);
	CHECK(t, !r, "the same attach without injection: %ld", r);
out:
	run_close(&run);
	CHECK(t, vt_vmlck_kb() == vmlck0, "reuse abort: VmLck %ld kB, %ld at the start",
	      vt_vmlck_kb(), vmlck0);
	CHECK(t, vt_foll_pins() == pins0, "reuse abort: %ld pages left pinned",
	      vt_foll_pins() - pins0);
}

/*
 * The smallest page size must not shrink while dirty tracking is on: the
 * bitmaps have a bit per page of the size they were made with.  Only an
 * IOMMU with pages larger than the CPU's gets there (arm64 with mixed
 * granules); pgsize-min gives every domain 64 KiB pages.  The test mdev's
 * container holds 128 KiB mapped; edu's group joins (64 KiB pages),
 * tracking starts, edu's group leaves: the page size stays 64 KiB until
 * tracking stops, and a page the mdev pins then shows as one bit.
 */
static void pgsize_guard(struct ctx *t)
{
	const uint32_t dsz = sizeof(struct vfio_iommu_type1_dirty_bitmap);
	const uint64_t big = 0x10000, iova = 0x1000000, size = 2 * big;
	long pins0 = vt_foll_pins(), vmlck0 = vt_vmlck_kb(), r;
	struct vt_cont mc = { -1, -1 };
	uint64_t bits[2], unmapped = 0;
	int g = -1, dev = -1;
	char path[64], *mem;

	mem = mmap(NULL, size + big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		   MAP_POPULATE, -1, 0);
	CHECK(t, mem != MAP_FAILED, "pgsize guard: no memory");
	if (mem == MAP_FAILED)
		return;
	if (write_file(PGSIZE_MIN, "65536\n")) {
		vt_fail(t, "cannot write %s", PGSIZE_MIN);
		goto out;
	}
	mc.c = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->mdev_group);
	mc.g = open(path, O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group);
	g = open(path, O_RDWR);
	CHECK(t, mc.c >= 0 && mc.g >= 0 && g >= 0, "pgsize guard: open the container and groups");
	if (mc.c < 0 || mc.g < 0 || g < 0 || xioctl(mc.g, VFIO_GROUP_SET_CONTAINER, &mc.c) ||
	    xioctl(mc.c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU)) {
		vt_fail(t, "pgsize guard: the test mdev's container cannot be set up");
		goto out;
	}
	dev = xioctl(mc.g, VFIO_GROUP_GET_DEVICE_FD, (void *)t->mdev_uuid);
	r = xioctl(g, VFIO_GROUP_SET_CONTAINER, &mc.c);
	CHECK(t, dev >= 0 && !r, "pgsize guard: the mdev's device %d, edu's attach %ld", dev, r);
	CHECK(t, (vt_pgsizes(mc.c) & -vt_pgsizes(mc.c)) == big,
	      "pgsize guard: page sizes %#llx with 64 KiB pages in the domain",
	      (unsigned long long)vt_pgsizes(mc.c));
	/* 64 KiB aligned, as every argument must be now. */
	r = vt_map(mc.c, iova, size, ((uintptr_t)mem + big - 1) & ~(big - 1), RW);
	CHECK(t, !r, "pgsize guard: map of 128 KiB: %ld", r);
	r = dirty_flags(mc.c, dsz, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
	CHECK(t, !r, "pgsize guard: dirty tracking start: %ld", r);
	r = xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL);
	CHECK(t, !r, "pgsize guard: edu's group leaves: %ld", r);
	CHECK(t, (vt_pgsizes(mc.c) & -vt_pgsizes(mc.c)) == big,
	      "pgsize guard: page sizes %#llx while tracking, after the 64 KiB domain left",
	      (unsigned long long)vt_pgsizes(mc.c));
	r = dirty_get(mc.c, iova, size, PAGE, sizeof(bits), bits);
	CHECK(t, r == -EINVAL, "pgsize guard: a bitmap of 4 KiB pages while tracking: %ld", r);
	/* What was dirty so far goes; then the mdev pins a page of the second half. */
	r = dirty_get(mc.c, iova, size, big, sizeof(bits), bits);
	CHECK(t, !r, "pgsize guard: a bitmap of 64 KiB pages: %ld", r);
	r = mdev_cmd(t, NULL, "pin %llx 1 3", (unsigned long long)(iova + big + PAGE));
	CHECK(t, r == 1, "pgsize guard: the mdev pins a page: %ld", r);
	if (r == 1)
		mdev_cmd(t, NULL, "unpin %llx 1", (unsigned long long)(iova + big + PAGE));
	bits[0] = 0;
	bits[1] = 0x5a5a5a5a5a5a5a5aULL;
	r = dirty_get(mc.c, iova, size, big, sizeof(bits[0]), bits);
	CHECK(t, !r && bits[0] == 2 && bits[1] == 0x5a5a5a5a5a5a5a5aULL,
	      "pgsize guard: after a pin, bitmap %ld: %#llx %#llx, not 0x2 and untouched", r,
	      (unsigned long long)bits[0], (unsigned long long)bits[1]);
	r = dirty_flags(mc.c, dsz, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
	CHECK(t, !r && (vt_pgsizes(mc.c) & -vt_pgsizes(mc.c)) == PAGE,
	      "pgsize guard: tracking stopped (%ld): page sizes %#llx, not back to 4 KiB", r,
	      (unsigned long long)vt_pgsizes(mc.c));
	r = vt_unmap(mc.c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped);
	CHECK(t, !r && unmapped == size, "pgsize guard: unmap of everything: %ld, %llu bytes", r,
	      (unsigned long long)unmapped);
out:
	write_file(PGSIZE_MIN, "0\n");
	if (dev >= 0)
		close(dev);
	if (g >= 0)
		close(g);
	vt_close(&mc);
	munmap(mem, size + big);
	CHECK(t, vt_vmlck_kb() == vmlck0, "pgsize guard: VmLck %ld kB, %ld at the start",
	      vt_vmlck_kb(), vmlck0);
	CHECK(t, vt_foll_pins() == pins0, "pgsize guard: %ld pages left pinned",
	      vt_foll_pins() - pins0);
}

int cmd_inject(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = "inject", .group = -1, .group2 = -1,
			 .mdev_group = -1 };
	struct sites sites = { 0 };
	int a, shared, separate;
	struct mem m;

	for (a = 2; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--group"))
			t.group = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "--group2"))
			t.group2 = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "--mdev-group"))
			t.mdev_group = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "--mdev-uuid"))
			t.mdev_uuid = argv[a + 1];
		else if (!strcmp(argv[a], "--device"))
			t.device = argv[a + 1];
		else
			break;
	}
	if (a != argc || t.group < 0 || !t.device || (t.mdev_group >= 0 && !t.mdev_uuid)) {
		fprintf(stderr, "usage: vfio-tests inject --group N --device BDF [--group2 M] %s\n",
			"[--mdev-group G --mdev-uuid UUID]");
		return 2;
	}
	if (access(FAIL_NTH, W_OK)) {
		printf("not ok - fault injection: no %s (is the test build loaded?)\n", FAIL_NTH);
		return 1;
	}
	m.small = vt_buffer(SMALL_SIZE);
	m.big = vt_buffer_scattered(BIG_SIZE);
	m.spare = vt_buffer(PAGE);
	m.mdev = vt_buffer(SMALL_SIZE);
	m.ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!m.small || !m.big || !m.spare || !m.mdev || m.ro == MAP_FAILED) {
		printf("not ok - fault injection: no memory\n");
		return 1;
	}
	/* What the DMA check after each run must find at IOVA_SMALL. */
	for (a = 0; a < (int)SMALL_SIZE; a++) {
		m.small[a] = (char)(a * 7 + 3);
		m.mdev[a] = (char)(a * 11 + 5);
	}

	/* The second group shares the first one's domain, then gets its own (replay). */
	shared = every_point(&t, &m, &sites, scenario);
	CHECK(&t, shared > 0, "the scenario met no injection point: is this the test build?");
	vt_set_param("vfio_iommu_iova", "reuse_domains", 0);
	separate = t.why[0] ? 0 : every_point(&t, &m, &sites, scenario);
	vt_set_param("vfio_iommu_iova", "reuse_domains", 1);
	if (t.mdev_group >= 0 && !t.why[0])
		separate += every_point(&t, &m, &sites, scenario_emulated_first);
	if (!t.why[0])
		reuse_abort(&t, &m);
	if (t.mdev_group >= 0 && !t.why[0])
		pgsize_guard(&t);
	for (a = 0; a < sites.n; a++)
		printf("# injection point %s\n", sites.name[a]);
	CHECK(&t, t.why[0] || met(&sites, "vfio_iova_batch_grow:"),
	      "no map grew its pin batch's runs (%ld of %llu neighbouring pages of the big buffer contiguous)",
	      vt_contiguous_pairs(m.big, BIG_SIZE), BIG_SIZE / PAGE - 1);
	if (t.why[0]) {
		printf("not ok - fault injection: %s\n", t.why);
		return 1;
	}
	printf("ok - fault injection: %d failures, one at a time, at %d distinct points: %s%s\n",
	       shared + separate, sites.n,
	       "each refused with ENOMEM, nothing leaked, the container still usable",
	       t.mdev_group >= 0 ? "; the page size held while tracking" : "");
	return 0;
}
