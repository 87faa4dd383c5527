// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: what our backend does beyond the stock one.  Cases named
 * "ours-*" run against our backend only; the stock backend has nothing to
 * compare with.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vt.h"

#define DEBUGFS "/sys/kernel/debug/vfio-iommu-iova"

static int read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

/* Our container's debugfs id, from the line of this process. */
static int find_container(void)
{
	char buf[4096], *line;
	int id, pid, found = -1;

	if (read_file(DEBUGFS "/containers", buf, sizeof(buf)))
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%d %d", &id, &pid) == 2 && pid == getpid())
			found = id;
	return found;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

void case_ours_introspection(struct ctx *t)
{
	char path[128], buf[4096], expect[1024], *p;
	uint64_t b, hole;
	struct vt_ranges vr;
	struct vt_cont vc;
	unsigned int i;
	int id;
	long r;

	b = (uintptr_t)vt_buffer(16 * PAGE);
	if (!b || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	id = find_container();
	CHECK(t, id > 0, "no line for pid %d in %s/containers", getpid(), DEBUGFS);
	if (id <= 0)
		goto out;

	/* The ranges file says what GET_INFO says. */
	vt_get_ranges(vc.c, &vr);
	expect[0] = 0;
	for (i = 0; i < vr.nr; i++)
		sprintf(expect + strlen(expect), "0x%016llx-0x%016llx\n",
			(unsigned long long)vr.r[i].start, (unsigned long long)vr.r[i].end);
	snprintf(path, sizeof(path), DEBUGFS "/%d/ranges", id);
	CHECK(t, !read_file(path, buf, sizeof(buf)) && !strcmp(buf, expect),
	      "%s differs from GET_INFO: '%s' vs '%s'", path, buf, expect);

	/* The groups file shows the edu group and its reserved regions. */
	snprintf(path, sizeof(path), DEBUGFS "/%d/groups", id);
	snprintf(expect, sizeof(expect), "group %d aperture", t->group);
	CHECK(t, !read_file(path, buf, sizeof(buf)) && strstr(buf, expect) &&
	      strstr(buf, "reserved"), "%s: '%s'", path, buf);

	/* Three mappings show up, with their pinned pages. */
	for (i = 0; i < 3; i++)
		CHECK(t, !vt_map(vc.c, 0x100000 + i * 0x100000, (i + 1) * PAGE, b,
				 VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), "map %u", i);
	snprintf(path, sizeof(path), DEBUGFS "/%d/mappings", id);
	CHECK(t, !read_file(path, buf, sizeof(buf)) && count_lines(buf) == 3 &&
	      strstr(buf, "0x0000000000100000-0x0000000000100fff size 0x1000 rw pinned 1"),
	      "%s: '%s'", path, buf);
	snprintf(path, sizeof(path), DEBUGFS "/%d/stats", id);
	CHECK(t, !read_file(path, buf, sizeof(buf)) && strstr(buf, "mappings: 3\n") &&
	      strstr(buf, "pinned_pages: 6\n") && strstr(buf, "last_refusal: none"),
	      "%s: '%s'", path, buf);

	/* A map into the first hole is refused, and says why. */
	CHECK(t, vr.nr >= 2, "expected a hole in the valid ranges");
	if (vr.nr >= 2) {
		hole = vr.r[0].end + 1;
		r = vt_map(vc.c, hole, PAGE, b, VFIO_DMA_MAP_FLAG_READ);
		CHECK(t, r == -EINVAL, "map in the hole at %#llx: %ld",
		      (unsigned long long)hole, r);
		CHECK(t, !read_file(path, buf, sizeof(buf)) &&
		      strstr(buf, "refused_maps: 1\n") && (p = strstr(buf, "last_refusal: ")) &&
		      strstr(p, "reserved region") && strstr(p, "of group"),
		      "%s after a refused map: '%s'", path, buf);
		snprintf(path, sizeof(path), DEBUGFS "/%d/refusals", id);
		CHECK(t, !read_file(path, buf, sizeof(buf)) && strstr(buf, "refusals: 1\n") &&
		      strstr(buf, "last_op: map\n") && strstr(buf, "last_errno: -22\n") &&
		      strstr(buf, "last_reason: range\n") && strstr(buf, "op.map: 1\n") &&
		      strstr(buf, "reason.range: 1\n") && strstr(buf, "op.attach: 0\n"),
		      "%s after a refused map: '%s'", path, buf);
		snprintf(expect, sizeof(expect), "vfio-iommu-iova: container %d (pid %d ", id,
			 getpid());
		CHECK(t, vt_klog_has(expect, "map refused (-EINVAL, range): [0x") &&
		      vt_klog_has(expect, "]: IOVA 0x"),
		      "no kernel log line for the refused map");
	}
	vt_close(&vc);

	/* The container's directory goes with it. */
	snprintf(path, sizeof(path), DEBUGFS "/%d", id);
	CHECK(t, access(path, F_OK) != 0, "%s still exists after close", path);
	return;
out:
	vt_close(&vc);
}

/* The backend whose module reference count VFIO_SET_IOMMU(@type) raised. */
static const char *who_serves(struct ctx *t, unsigned long type)
{
	const char *who = "none";
	struct vt_cont vc;
	long before[2];
	int i;

	for (i = 0; i < 2; i++)
		before[i] = module_refcnt(vt_backends[i]);
	if (vt_open(t, &vc, type))
		return "refused";
	for (i = 0; i < 2; i++)
		if (module_refcnt(vt_backends[i]) == before[i] + 1)
			who = vt_backends[i];
	vt_close(&vc);
	return who;
}

/*
 * Both backends loaded, the stock one first (so ours is asked first):
 * ours serves both types, unless told to leave one to the stock backend.
 */
static void expect_serving(struct ctx *t, const char *v1, const char *v2, const char *setting)
{
	const char *s1 = who_serves(t, VFIO_TYPE1_IOMMU), *s2 = who_serves(t, VFIO_TYPE1v2_IOMMU);

	CHECK(t, !strcmp(s1, v1) && !strcmp(s2, v2), "%s: type1 -> %s, type1v2 -> %s",
	      setting, s1, s2);
}

void case_coexist_selection(struct ctx *t)
{
	static const char *const iova = "vfio_iommu_iova", *const stock = "vfio_iommu_type1";

	CHECK(t, module_refcnt(stock) >= 0 && module_refcnt(iova) >= 0,
	      "both backends must be loaded");
	expect_serving(t, iova, iova, "default");
	vt_set_param(iova, "serve_type1", 0);
	expect_serving(t, stock, iova, "serve_type1=N");
	vt_set_param(iova, "serve_type1", 1);
	vt_set_param(iova, "serve_type1v2", 0);
	expect_serving(t, iova, stock, "serve_type1v2=N");
	vt_set_param(iova, "serve_type1v2", 1);
}

/*
 * Last of all: everything this process ever mapped was uncharged again.
 * (Debian's stock backend leaks the pages it mapped at the last IOVA of
 * the address space; see README.)
 */
void case_ours_vmlck_zero(struct ctx *t)
{
	long kb = vt_vmlck_kb();

	CHECK(t, kb == 0, "VmLck %ld kB after every case closed its containers", kb);
}
