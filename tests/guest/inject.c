// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests inject --group N --group2 M --mdev-group G --mdev-uuid UUID
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
 *  - the container still works: a map and an unmap of a fresh page succeed
 *    (unless the container itself could not be set up);
 *  - after closing everything, VmLck and the system's FOLL_PIN counters are
 *    back where they started and the module is no longer in use.
 * Last, a path only two failures reach (fail-func): the second group can
 * neither join the first one's domain nor go back to its own.
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
#define MAX_POINTS 5000
#define MAX_SITES 64

/* The memory of one scenario run. */
struct mem {
	char *small, *big, *ro, *spare, *mdev;
};

#define SMALL_SIZE (4 * PAGE)		/* a batch on the stack */
#define BIG_SIZE (64 * PAGE)		/* an allocated batch, runs of pages */
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
 * One step of the scenario: returns true when it went on.  A failure is
 * only allowed while the injection is pending (then it must be ENOMEM); it
 * ends the run.
 */
struct run {
	int fails;		/* steps that failed */
	const char *what;	/* the last step */
};

static bool step(struct ctx *t, struct run *run, const char *what, long r)
{
	run->what = what;
	if (!r)
		return true;
	run->fails++;
	CHECK(t, r == -ENOMEM, "%s failed with %s, not ENOMEM", what, strerror((int)-r));
	return false;
}

/* After a failure the container must still map and unmap a fresh page. */
static void still_works(struct ctx *t, int c, struct mem *m, const char *after)
{
	uint64_t unmapped = 0;
	long r;

	if (c < 0)
		return;
	r = vt_map(c, IOVA_SPARE, PAGE, (uintptr_t)m->spare, RW);
	CHECK(t, !r, "after a failed %s, a fresh map fails: %s", after, strerror((int)-r));
	r = vt_unmap(c, IOVA_SPARE, PAGE, 0, &unmapped);
	CHECK(t, !r && unmapped == PAGE, "after a failed %s, unmap: %ld (%llu bytes)", after, r,
	      (unsigned long long)unmapped);
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

/* Maps, a second group, dirty tracking and an unmap on the container @c. */
static bool container_steps(struct ctx *t, struct run *run, int c, struct mem *m, int *g2)
{
	const uint32_t dsz = sizeof(struct vfio_iommu_type1_dirty_bitmap);
	uint64_t bits[4], unmapped;
	char path[64];

	if (!step(t, run, "map (small)",
		  vt_map(c, IOVA_SMALL, SMALL_SIZE, (uintptr_t)m->small, RW)) ||
	    !step(t, run, "map (big)", vt_map(c, IOVA_BIG, BIG_SIZE, (uintptr_t)m->big, RW)) ||
	    !step(t, run, "map (read-only)",
		  vt_map(c, IOVA_RO, PAGE, (uintptr_t)m->ro, VFIO_DMA_MAP_FLAG_READ)))
		return false;
	if (t->group2 >= 0) {
		snprintf(path, sizeof(path), "/dev/vfio/%d", t->group2);
		*g2 = open(path, O_RDWR);
		CHECK(t, *g2 >= 0, "open group %d", t->group2);
		if (*g2 >= 0 && !step(t, run, "attach of a second group",
				      xioctl(*g2, VFIO_GROUP_SET_CONTAINER, &c)))
			return false;
	}
	return step(t, run, "dirty tracking start",
		    dirty_flags(c, dsz, VFIO_IOMMU_DIRTY_PAGES_FLAG_START)) &&
	       step(t, run, "dirty bitmap",
		    dirty_get(c, IOVA_BIG, BIG_SIZE, PAGE, sizeof(bits), bits)) &&
	       step(t, run, "dirty tracking stop",
		    dirty_flags(c, dsz, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)) &&
	       step(t, run, "unmap (big)", vt_unmap(c, IOVA_BIG, BIG_SIZE, 0, &unmapped));
}

/* An emulated user: the test mdev pins through vfio_pin_pages(). */
static void mdev_steps(struct ctx *t, struct run *run, struct vt_cont *mc, struct mem *m,
		       int *dev)
{
	long r;

	if (!setup(t, run, mc, t->mdev_group))
		return;
	*dev = xioctl(mc->g, VFIO_GROUP_GET_DEVICE_FD, (void *)t->mdev_uuid);
	CHECK(t, *dev >= 0, "VFIO_GROUP_GET_DEVICE_FD(%s): %d", t->mdev_uuid, *dev);
	if (!step(t, run, "map (mdev)",
		  vt_map(mc->c, IOVA_SMALL, SMALL_SIZE, (uintptr_t)m->mdev, RW)))
		return;
	r = mdev_cmd(t, NULL, "pin %llx 2 3", IOVA_SMALL);
	if (step(t, run, "emulated pin", r == 2 ? 0 : r))
		mdev_cmd(t, NULL, "unpin %llx 2", IOVA_SMALL);
}

/* One run; returns how many steps failed. */
static int scenario(struct ctx *t, struct mem *m)
{
	struct vt_cont vc = { -1, -1 }, mc = { -1, -1 };
	struct run run = { 0, "setup" };
	int g2 = -1, dev = -1;

	if (setup(t, &run, &vc, t->group)) {
		/* Our container exists: it must survive whatever fails next. */
		if (container_steps(t, &run, vc.c, m, &g2) && t->mdev_group >= 0)
			mdev_steps(t, &run, &mc, m, &dev);
		if (run.fails)
			still_works(t, vc.c, m, run.what);
	}
	if (dev >= 0)
		close(dev);
	vt_close(&mc);
	if (g2 >= 0)
		close(g2);
	vt_close(&vc);
	return run.fails;
}

/*
 * The first IOMMU group joins a container that has only an emulated group:
 * its mappings are pinned, charged and mapped into the new domain then.
 */
static int scenario_emulated_first(struct ctx *t, struct mem *m)
{
	struct vt_cont mc = { -1, -1 };
	struct run run = { 0, "setup" };
	char path[64];
	int g = -1;

	if (!setup(t, &run, &mc, t->mdev_group))
		goto out;
	if (!step(t, &run, "map (mdev)",
		  vt_map(mc.c, IOVA_SMALL, SMALL_SIZE, (uintptr_t)m->mdev, RW)) ||
	    !step(t, &run, "map (big, mdev)",
		  vt_map(mc.c, IOVA_BIG, BIG_SIZE, (uintptr_t)m->big, RW)))
		goto out_works;
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group);
	g = open(path, O_RDWR);
	CHECK(t, g >= 0, "open group %d", t->group);
	if (g >= 0)
		step(t, &run, "attach of an IOMMU group to an emulated container",
		     xioctl(g, VFIO_GROUP_SET_CONTAINER, &mc.c));
out_works:
	if (run.fails)
		still_works(t, mc.c, m, run.what);
out:
	if (g >= 0)
		close(g);
	vt_close(&mc);
	return run.fails;
}

/* The distinct injection points met, as "function:line". */
struct sites {
	int n;
	char name[MAX_SITES][128];
};

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
		       int (*run)(struct ctx *t, struct mem *m))
{
	long pins0 = vt_foll_pins(), vmlck0 = vt_vmlck_kb(), pending;
	char nth[16], site[128];
	int n, fails;

	for (n = 1; n <= MAX_POINTS && !t->why[0]; n++) {
		snprintf(nth, sizeof(nth), "%d", n);
		if (write_file(FAIL_NTH, nth)) {
			vt_fail(t, "cannot write %s", FAIL_NTH);
			break;
		}
		fails = run(t, m);
		pending = read_long(FAIL_NTH, NULL, 0);
		write_file(FAIL_NTH, "0");
		CHECK(t, !pending || !fails, "fail-nth %d: a step failed, none was injected", n);
		CHECK(t, vt_vmlck_kb() == vmlck0, "fail-nth %d: VmLck %ld kB, %ld at the start", n,
		      vt_vmlck_kb(), vmlck0);
		CHECK(t, vt_foll_pins() == pins0, "fail-nth %d: %ld pages left pinned", n,
		      vt_foll_pins() - pins0);
		CHECK(t, module_refcnt("vfio_iommu_iova") == 0,
		      "fail-nth %d: vfio_iommu_iova still in use after closing everything", n);
		if (pending)
			return n - 1;	/* the scenario passed every point: done */
		read_long(FAIL_SITE, site, sizeof(site));
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
	struct vt_cont vc = { -1, -1 };
	struct run run = { 0, "setup" };
	char path[64];
	int g2 = -1;

	CHECK(t, t->group2 >= 0, "reuse abort: this scenario needs a second group");
	if (t->group2 < 0 || !setup(t, &run, &vc, t->group))
		goto out;
	r = vt_map(vc.c, IOVA_SMALL, SMALL_SIZE, (uintptr_t)m->small, RW);
	CHECK(t, !r, "reuse abort: map: %ld", r);
	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group2);
	g2 = open(path, O_RDWR);
	CHECK(t, g2 >= 0, "open group %d", t->group2);
	if (g2 < 0)
		goto out;
	if (write_file(FAIL_FUNC, "vfio_iova_attach_existing vfio_iova_reuse_domain\n")) {
		vt_fail(t, "cannot write %s", FAIL_FUNC);
		goto out;
	}
	r = xioctl(g2, VFIO_GROUP_SET_CONTAINER, &vc.c);
	write_file(FAIL_FUNC, "-\n");
	CHECK(t, r == -ENOMEM, "an attach that left its group in no domain: %ld, not ENOMEM", r);
	if (!r)
		xioctl(g2, VFIO_GROUP_UNSET_CONTAINER, NULL);
	still_works(t, vc.c, m, "attach (no domain left)");
	r = xioctl(g2, VFIO_GROUP_SET_CONTAINER, &vc.c);
	CHECK(t, !r, "the same attach without injection: %ld", r);
out:
	if (g2 >= 0)
		close(g2);
	vt_close(&vc);
	CHECK(t, vt_vmlck_kb() == vmlck0, "reuse abort: VmLck %ld kB, %ld at the start",
	      vt_vmlck_kb(), vmlck0);
	CHECK(t, vt_foll_pins() == pins0, "reuse abort: %ld pages left pinned",
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
		else
			break;
	}
	if (a != argc || t.group < 0 || (t.mdev_group >= 0 && !t.mdev_uuid)) {
		fprintf(stderr, "usage: vfio-tests inject --group N [--group2 M] %s\n",
			"[--mdev-group G --mdev-uuid UUID]");
		return 2;
	}
	if (access(FAIL_NTH, W_OK)) {
		printf("not ok - fault injection: no %s (is the test build loaded?)\n", FAIL_NTH);
		return 1;
	}
	m.small = vt_buffer(SMALL_SIZE);
	m.big = vt_buffer(BIG_SIZE);
	m.spare = vt_buffer(PAGE);
	m.mdev = vt_buffer(SMALL_SIZE);
	m.ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!m.small || !m.big || !m.spare || !m.mdev || m.ro == MAP_FAILED) {
		printf("not ok - fault injection: no memory\n");
		return 1;
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
	for (a = 0; a < sites.n; a++)
		printf("# injection point %s\n", sites.name[a]);
	if (t.why[0]) {
		printf("not ok - fault injection: %s\n", t.why);
		return 1;
	}
	printf("ok - fault injection: %d failures, one at a time, at %d distinct points: %s\n",
	       shared + separate, sites.n,
	       "each refused with ENOMEM, nothing leaked, the container still usable");
	return 0;
}
