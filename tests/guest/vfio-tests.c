// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: the guest-side test program.
 *
 *   vfio-tests run --backend MODULE --group N --out FILE
 *	Run every case against whichever backend is loaded now.  Each case
 *	records observations (ioctl results, errnos) and its own assertions.
 *	MODULE is the backend expected to answer VFIO_SET_IOMMU.
 *   vfio-tests compare STOCK_FILE OURS_FILE [ALLOWED_DIFFS_FILE]
 *	Print TAP: each case's assertions under each backend, then whether the
 *	observations agree (the differential run), allowing only the documented
 *	differences listed in ALLOWED_DIFFS_FILE (lines "allow CASE KEY").
 *
 * A result file has one line per case:
 *	case NAME ok|fail REASON
 *	obs NAME KEY VALUE
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct ctx {
	FILE *out;
	const char *backend;
	int group;
	const char *name;	/* current case */
	char why[256];		/* first failed assertion of the case */
};

static void record(struct ctx *t, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(t->out, "obs %s %s ", t->name, key);
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
}

#define CHECK(t, cond, ...)						\
	do {								\
		struct ctx *t_ = (t);					\
		if (!(cond) && !t_->why[0])				\
			snprintf(t_->why, sizeof(t_->why), __VA_ARGS__); \
	} while (0)

/* ioctl result as "0", "<value>" or "-ERRNO" for observations. */
static long xioctl(int fd, unsigned long req, void *arg, int *err)
{
	long r = ioctl(fd, req, arg);

	*err = r < 0 ? errno : 0;
	return r < 0 ? -*err : r;
}

static long module_refcnt(const char *module)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", module);
	f = fopen(path, "r");
	if (!f)
		return -1;	/* not loaded */
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static const char *const backends[] = { "vfio_iommu_type1", "vfio_iommu_iova" };

static int open_group(struct ctx *t)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group);
	return open(path, O_RDWR);
}

/*
 * Open a container, attach the edu group, select type1v2 and check which
 * backend module took the container's reference.
 */
static void case_set_iommu(struct ctx *t, unsigned long type)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	long before[2], after[2], r;
	int c, g, err, i;
	const char *who = "none";

	c = open("/dev/vfio/vfio", O_RDWR);
	CHECK(t, c >= 0, "open /dev/vfio/vfio: %s", strerror(errno));
	g = open_group(t);
	CHECK(t, g >= 0, "open group %d: %s", t->group, strerror(errno));
	if (c < 0 || g < 0)
		goto out;

	r = xioctl(c, VFIO_GET_API_VERSION, NULL, &err);
	record(t, "api_version", "%ld", r);
	CHECK(t, r == VFIO_API_VERSION, "VFIO_GET_API_VERSION = %ld", r);
	r = xioctl(c, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1_IOMMU, &err);
	record(t, "ext_type1", "%ld", r);
	r = xioctl(c, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU, &err);
	record(t, "ext_type1v2", "%ld", r);
	CHECK(t, r == 1, "CHECK_EXTENSION(TYPE1v2) = %ld, clients need exactly 1", r);

	r = xioctl(g, VFIO_GROUP_GET_STATUS, &st, &err);
	record(t, "group_status", "%ld flags=%u", r, st.flags);
	CHECK(t, r == 0 && (st.flags & VFIO_GROUP_FLAGS_VIABLE), "group not viable");

	r = xioctl(g, VFIO_GROUP_SET_CONTAINER, &c, &err);
	record(t, "set_container", "%ld", r);
	CHECK(t, r == 0, "VFIO_GROUP_SET_CONTAINER: %s", strerror(err));

	for (i = 0; i < 2; i++)
		before[i] = module_refcnt(backends[i]);
	r = xioctl(c, VFIO_SET_IOMMU, (void *)type, &err);
	record(t, "set_iommu", "%ld", r);
	CHECK(t, r == 0, "VFIO_SET_IOMMU: %s", strerror(err));
	for (i = 0; i < 2; i++) {
		after[i] = module_refcnt(backends[i]);
		if (after[i] == before[i] + 1)
			who = backends[i];
	}
	/* Backend-specific by design: asserted, not compared. */
	CHECK(t, !strcmp(who, t->backend), "VFIO_SET_IOMMU answered by %s, expected %s",
	      who, t->backend);

	/* A second SET_IOMMU on a set container is refused. */
	r = xioctl(c, VFIO_SET_IOMMU, (void *)type, &err);
	record(t, "set_iommu_again", "%ld", r);

	r = xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL, &err);
	record(t, "unset_container", "%ld", r);
	CHECK(t, r == 0, "VFIO_GROUP_UNSET_CONTAINER: %s", strerror(err));
	r = module_refcnt(t->backend);
	CHECK(t, r == before[!strcmp(t->backend, backends[1])],
	      "%s refcnt %ld after the last group left", t->backend, r);
out:
	if (g >= 0)
		close(g);
	if (c >= 0)
		close(c);
}

static void case_set_iommu_v2(struct ctx *t)
{
	case_set_iommu(t, VFIO_TYPE1v2_IOMMU);
}

static void case_set_iommu_v1(struct ctx *t)
{
	case_set_iommu(t, VFIO_TYPE1_IOMMU);
}

static const struct {
	const char *name;
	void (*fn)(struct ctx *t);
} cases[] = {
	{ "set-iommu-type1v2", case_set_iommu_v2 },
	{ "set-iommu-type1", case_set_iommu_v1 },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NCASES ARRAY_SIZE(cases)

static int cmd_run(int argc, char **argv)
{
	struct ctx t = { .group = -1 };
	const char *out = NULL, *only = getenv("VFIO_TESTS_ONLY");
	size_t i;

	for (i = 2; i + 1 < (size_t)argc; i += 2) {
		if (!strcmp(argv[i], "--backend"))
			t.backend = argv[i + 1];
		else if (!strcmp(argv[i], "--group"))
			t.group = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--out"))
			out = argv[i + 1];
	}
	if (!t.backend || t.group < 0 || !out) {
		fprintf(stderr, "usage: vfio-tests run --backend MODULE --group N --out FILE\n");
		return 2;
	}
	t.out = fopen(out, "w");
	if (!t.out) {
		perror(out);
		return 2;
	}
	for (i = 0; i < NCASES; i++) {
		if (only && strcmp(only, cases[i].name))
			continue;
		t.name = cases[i].name;
		t.why[0] = 0;
		cases[i].fn(&t);
		/* The harness's own check: a broken test must fail the run. */
		if (getenv("VFIO_TESTS_BREAK") && !strcmp(getenv("VFIO_TESTS_BREAK"), t.name))
			CHECK(&t, 0, "deliberately broken (VFIO_TESTS_BREAK)");
		fflush(t.out);
		fprintf(t.out, "case %s %s %s\n", t.name, t.why[0] ? "fail" : "ok",
			t.why[0] ? t.why : "-");
	}
	return fclose(t.out) ? 2 : 0;
}

/* ---- compare ---------------------------------------------------------- */

struct line {
	char kind[8], name[64], key[64], val[256];
};

struct file {
	struct line *l;
	size_t n;
};

static int load(const char *path, struct file *f)
{
	char buf[512];
	FILE *in = fopen(path, "r");

	if (!in) {
		perror(path);
		return -1;
	}
	f->l = NULL;
	f->n = 0;
	while (fgets(buf, sizeof(buf), in)) {
		struct line *l;

		f->l = realloc(f->l, (f->n + 1) * sizeof(*f->l));
		if (!f->l)
			exit(2);
		l = &f->l[f->n];
		memset(l, 0, sizeof(*l));
		buf[strcspn(buf, "\n")] = 0;
		if (sscanf(buf, "%7s %63s %63s %255[^\n]", l->kind, l->name, l->key, l->val) < 3)
			continue;
		f->n++;
	}
	fclose(in);
	return 0;
}

static const char *find(const struct file *f, const char *kind, const char *name,
			const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->l[i].kind, kind) && !strcmp(f->l[i].name, name) &&
		    (!key || !strcmp(f->l[i].key, key)))
			return kind[0] == 'c' ? f->l[i].key : f->l[i].val;
	return NULL;
}

static int allowed(const struct file *a, const char *name, const char *key)
{
	size_t i;

	for (i = 0; a && i < a->n; i++)
		if (!strcmp(a->l[i].kind, "allow") && !strcmp(a->l[i].name, name) &&
		    !strcmp(a->l[i].key, key))
			return 1;
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	struct file f[2], allow = { 0 }, *al = NULL;
	const char *label[2] = { "stock", "iova" };
	int n = 0, failed = 0, k;
	size_t i, j;

	if (argc < 4) {
		fprintf(stderr, "usage: vfio-tests compare STOCK OURS [ALLOWED]\n");
		return 2;
	}
	if (load(argv[2], &f[0]))
		return 2;
	if (load(argv[3], &f[1])) {
		free(f[0].l);
		return 2;
	}
	if (argc > 4 && !load(argv[4], &allow))
		al = &allow;

	for (i = 0; i < NCASES; i++) {
		const char *name = cases[i].name;
		int same = 1;

		for (k = 0; k < 2; k++) {
			const char *res = find(&f[k], "case", name, NULL);
			int ok = res && !strcmp(res, "ok");

			printf("%s %d - %s: %s\n", ok ? "ok" : "not ok", ++n, label[k], name);
			if (!ok) {
				for (j = 0; j < f[k].n; j++)
					if (!strcmp(f[k].l[j].kind, "case") &&
					    !strcmp(f[k].l[j].name, name))
						printf("#   %s\n", f[k].l[j].val);
				if (!res)
					printf("#   case did not report (crashed or never ran)\n");
				failed++;
			}
		}
		/* Every observation of either side must exist and agree in the other. */
		for (k = 0; k < 2; k++)
			for (j = 0; j < f[k].n; j++) {
				const struct line *l = &f[k].l[j];
				const char *other;

				if (strcmp(l->kind, "obs") || strcmp(l->name, name))
					continue;
				other = find(&f[!k], "obs", name, l->key);
				if (other && !strcmp(other, l->val))
					continue;
				if (allowed(al, name, l->key)) {
					printf("# documented difference %s %s: %s=%s %s=%s\n",
					       name, l->key, label[k], l->val, label[!k],
					       other ? other : "(none)");
					continue;
				}
				if (same)
					printf("#   differs: %s %s: %s=%s %s=%s\n",
					       name, l->key, label[k], l->val, label[!k],
					       other ? other : "(none)");
				same = 0;
			}
		printf("%s %d - diff: %s\n", same ? "ok" : "not ok", ++n, name);
		failed += !same;
	}
	printf("# compare: %d tests, %d failed\n", n, failed);
	free(f[0].l);
	free(f[1].l);
	free(allow.l);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "compare"))
		return cmd_compare(argc, argv);
	fprintf(stderr, "usage: vfio-tests run|compare ...\n");
	return 2;
}
