// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-iova: see and plan the IOVA space before a VM starts.
 *
 *   vfio-iova ranges GROUP|DEVICE...            valid ranges, from the kernel
 *   vfio-iova host                              every IOMMU group, from sysfs
 *   vfio-iova check --memmap SPEC... [GROUP|DEVICE...] [--ranges FILE]
 *   vfio-iova merge FILE...                     cluster-wide intersection
 *   vfio-iova plan --ram SIZE ... [GROUP|DEVICE...|--ranges FILE]
 *                                               QEMU options that fit them
 *   vfio-iova why PID                           a process's refused requests
 *   vfio-iova metrics [--output FILE]           Prometheus text format
 *   vfio-iova hotplug-check --pid PID DEVICE... would they join its container?
 *
 * Human-readable output by default, --json for machines.  Exit status: 0
 * success (check: the map fits), 1 the map does not fit, 2 usage or error,
 * 3 (check) no collision, but the IOMMU aperture is unknown (only reserved
 * regions were checked) and --assume-full-aperture was not given.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>
#include <linux/slab.h>
#include "vfio-iova.h"

#define VERSION "0.1.0"
#define EXIT_NOFIT 1
#define EXIT_ERR 2
#define EXIT_UNKNOWN 3

long shim_live_allocs;	/* tools/shim/linux/slab.h bookkeeping */
long shim_fail_in;

static bool json;
static char err[512];

/* A message on stderr, its control characters escaped ("\r"). */
static void __attribute__((format(printf, 1, 0))) vwarn(const char *fmt, va_list ap)
{
	char msg[1024], shown[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	escape(shown, sizeof(shown), msg, strlen(msg), sizeof(msg), false);
	fprintf(stderr, "vfio-iova: %s\n", shown);
}

static void __attribute__((format(printf, 1, 2))) warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(EXIT_ERR);
}

static bool not_excluded(const char *type)
{
	return !strcmp(type, "direct-relaxable");
}

static void print_ranges_table(const struct iova_ranges *r, const char *indent)
{
	char size[32];
	u32 i;

	printf("%s%-18s  %-18s  %s\n", indent, "START", "LAST", "SIZE");
	for (i = 0; i < r->nr; i++) {
		format_size(r->v[i].start, r->v[i].last, size, sizeof(size));
		printf("%s0x%016llx  0x%016llx  %s\n", indent, r->v[i].start, r->v[i].last, size);
	}
	if (!r->nr)
		printf("%s(none)\n", indent);
}

/*
 * Open a type1 container holding the groups; read VFIO_IOMMU_GET_INFO.
 * Whether the kernel said where the aperture ends (its IOVA range
 * capability): without it the whole space is reported.
 */
static bool kernel_ranges(char **args, int nr, struct iova_ranges *out, int *groups)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *h;
	int container, i, type;
	u32 argsz, off;

	for (i = 0; i < nr; i++) {
		groups[i] = group_of_arg(args[i], err, sizeof(err));
		if (groups[i] < 0)
			die("%s", err);
	}
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("/dev/vfio/vfio: %s%s", strerror(errno),
		    errno == EACCES ? " (run as root, or get access to /dev/vfio)" :
		    errno == ENOENT ? " (modprobe vfio-pci)" : "");
	for (i = 0; i < nr; i++) {
		struct vfio_group_status st = { .argsz = sizeof(st) };
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/vfio/%d", groups[i]);
		fd = open(path, O_RDWR);
		if (fd < 0)
			die("%s (%s): %s%s", path, args[i], strerror(errno),
			    errno == ENOENT ? " (bind its devices to vfio-pci)" :
			    errno == EBUSY ? " (the group is in use, by a VM?)" :
			    errno == EACCES ? " (no permission)" : "");
		if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
			die("group %d (%s) is not viable: bind all its devices to vfio-pci",
			    groups[i], args[i]);
		if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container))
			die("group %d: VFIO_GROUP_SET_CONTAINER: %s", groups[i], strerror(errno));
	}
	type = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ?
	       VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
	if (ioctl(container, VFIO_SET_IOMMU, type))
		die("VFIO_SET_IOMMU: %s%s", strerror(errno),
		    errno == EINVAL ? " (the groups cannot share one container)" : "");
	argsz = sizeof(*info);
	for (;;) {
		info = calloc(1, argsz);
		if (!info)
			die("out of memory");
		info->argsz = argsz;
		if (ioctl(container, VFIO_IOMMU_GET_INFO, info))
			die("VFIO_IOMMU_GET_INFO: %s", strerror(errno));
		if (info->argsz <= argsz)
			break;
		argsz = info->argsz;
		free(info);
	}
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS) || !info->cap_offset) {
		/* No IOVA range capability: the whole space. */
		if (iova_ranges_set(out, 0, ~0ULL))
			die("out of memory");
		free(info);
		return false;
	}
	for (off = info->cap_offset; off; off = h->next) {
		if (off < sizeof(*info) || off + sizeof(*h) > argsz)
			die("VFIO_IOMMU_GET_INFO: capability chain out of bounds");
		h = (void *)((char *)info + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *c = (void *)h;
			struct range_list l = { NULL, 0, 0 };
			u32 k;

			if (off + sizeof(*c) + (u64)c->nr_iovas * sizeof(c->iova_ranges[0]) > argsz)
				die("VFIO_IOMMU_GET_INFO: IOVA range capability out of bounds");
			for (k = 0; k < c->nr_iovas; k++) {
				const struct vfio_iova_range *x = &c->iova_ranges[k];

				if (x->start > x->end)
					die("VFIO_IOMMU_GET_INFO: IOVA range %u: %s", k,
					    "start above end");
				if (range_list_add(&l, x->start, x->end))
					die("out of memory");
			}
			if (iova_ranges_union(out, l.v, l.nr))
				die("out of memory");
			range_list_free(&l);
			free(info);
			return true;
		}
		if (h->next && h->next <= off)
			die("VFIO_IOMMU_GET_INFO: capability chain loops");
	}
	if (iova_ranges_set(out, 0, ~0ULL))
		die("out of memory");
	free(info);
	return false;
}

static int cmd_ranges(int argc, char **argv)
{
	struct iova_ranges r = IOVA_RANGES_INIT;
	int *groups, i;
	bool known;

	if (argc < 1)
		die("ranges: name at least one IOMMU group or PCI device");
	groups = calloc(argc, sizeof(*groups));
	if (!groups)
		die("out of memory");
	known = kernel_ranges(argv, argc, &r, groups);
	if (json) {
		json_t *doc = json_object(), *a = json_array();

		for (i = 0; i < argc; i++)
			jadd(a, json_integer(groups[i]));
		jset(doc, "groups", a);
		jset(doc, "aperture_known", json_boolean(known));
		jset(doc, "valid", jranges(&r));
		json_print(doc);
	} else {
		printf("Valid IOVA ranges for group%s", argc > 1 ? "s" : "");
		for (i = 0; i < argc; i++)
			printf(" %d", groups[i]);
		printf(" (VFIO_IOMMU_GET_INFO):\n");
		print_ranges_table(&r, "  ");
		if (!known)
			printf("The kernel gives no IOVA ranges (no IOVA range capability): %s\n",
			       "the aperture is unknown");
	}
	iova_ranges_free(&r);
	free(groups);
	return 0;
}

typedef bool (*group_pick)(const struct group_info *g, const void *arg);

/* "group 3" or "groups 0, 1, 2": the groups @pick selects. */
static void print_groups(const struct group_info *g, int nr, group_pick pick, const void *arg)
{
	int i, count = 0, k = 0;

	for (i = 0; i < nr; i++)
		count += pick(&g[i], arg);
	printf("group%s ", count == 1 ? "" : "s");
	for (i = 0; i < nr; i++)
		if (pick(&g[i], arg))
			printf("%s%d", k++ ? ", " : "", g[i].id);
}

/* The same as a JSON array: [0, 1, 2]. */
static json_t *jgroups(const struct group_info *g, int nr, group_pick pick, const void *arg)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < nr; i++)
		if (pick(&g[i], arg))
			jadd(a, json_integer(g[i].id));
	return a;
}

static bool aperture_unknown(const struct group_info *g, const void *arg)
{
	(void)arg;
	return !g->has_aperture;
}

static int count_unknown(const struct group_info *g, int nr)
{
	int i, n = 0;

	for (i = 0; i < nr; i++)
		n += !g[i].has_aperture;
	return n;
}

static void print_host(const struct group_info *g, int nr, const struct iova_ranges *valid)
{
	char host[256] = "", size[32];
	int i, j, unknown = count_unknown(g, nr);

	gethostname(host, sizeof(host) - 1);
	if (json) {
		json_t *doc = json_object(), *groups = json_array();

		jset(doc, "version", json_integer(1));
		jset(doc, "host", jstr(host));
		jset(doc, "aperture_known", json_boolean(!unknown));
		for (i = 0; i < nr; i++) {
			json_t *o = json_object(), *resv = json_array();

			jset(o, "group", json_integer(g[i].id));
			jset(o, "devices", jstr(g[i].devices));
			if (g[i].has_aperture)
				jset(o, "aperture", jrange(g[i].ap_start, g[i].ap_last));
			jset(o, "aperture_source", jstr(g[i].ap_source));
			for (j = 0; j < g[i].nr_resv; j++) {
				json_t *r = jrange(g[i].resv[j].start, g[i].resv[j].last);

				jset(r, "type", jstr(g[i].resv[j].type));
				jadd(resv, r);
			}
			jset(o, "reserved", resv);
			jadd(groups, o);
		}
		jset(doc, "groups", groups);
		jset(doc, "valid", jranges(valid));
		json_print(doc);
		return;
	}
	for (i = 0; i < nr; i++) {
		printf("group %d: %s\n", g[i].id, g[i].devices);
		if (g[i].has_aperture) {
			format_size(g[i].ap_start, g[i].ap_last, size, sizeof(size));
			printf("  aperture  0x%016llx  0x%016llx  %-10s (%s)\n", g[i].ap_start,
			       g[i].ap_last, size, g[i].ap_source);
		} else {
			printf("  aperture  unknown: %s\n", g[i].ap_why);
		}
		for (j = 0; j < g[i].nr_resv; j++) {
			format_size(g[i].resv[j].start, g[i].resv[j].last, size, sizeof(size));
			printf("  reserved  0x%016llx  0x%016llx  %-10s %s%s\n", g[i].resv[j].start,
			       g[i].resv[j].last, size, g[i].resv[j].type,
			       not_excluded(g[i].resv[j].type) ? " (not excluded)" :
			       !strcmp(g[i].resv[j].type, "sw-msi") ?
			       " (the SMMU's software MSI window)" : "");
		}
	}
	printf("\nValid IOVA ranges for a device of any of these %d groups (host %s):\n", nr,
	       host[0] ? host : "?");
	print_ranges_table(valid, "  ");
	if (unknown) {
		printf("The IOMMU aperture of ");
		print_groups(g, nr, aperture_unknown, NULL);
		printf(" is unknown: for %s, only the reserved regions are excluded %s\n",
		       unknown == 1 ? "it" : "them", "(`vfio-iova ranges GROUP` asks the kernel).");
	}
}

static int cmd_host(int argc, char **argv)
{
	struct iova_ranges valid = IOVA_RANGES_INIT;
	struct group_info *g;
	int nr;

	(void)argv;
	if (argc)
		die("host: takes no arguments");
	nr = groups_read_all(&g, err, sizeof(err));
	if (nr < 0)
		die("%s", err);
	if (groups_valid(g, nr, &valid))
		die("out of memory");
	print_host(g, nr, &valid);
	iova_ranges_free(&valid);
	free(g);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t n = 0, cap = 4096;
	char *buf;

	if (!f)
		die("%s: %s", path, strerror(errno));
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (n + 1 < cap)
			break;
		if (cap > (64u << 20))
			die("%s: larger than 64 MiB", path);
		buf = realloc(buf, cap *= 2);
	}
	if (!buf)
		die("out of memory");
	if (ferror(f))
		die("%s: %s", path, strerror(errno));
	buf[n] = 0;
	if (strlen(buf) != n)
		die("%s: a NUL byte: not a text file", path);
	if (f != stdin)
		fclose(f);
	return buf;
}

/*
 * The "valid" ranges of a host/merge/ranges JSON file, and whether the
 * IOMMU aperture behind them is known.
 */
static bool read_valid(const char *path, struct iova_ranges *out, char *host, size_t hlen)
{
	char *text = slurp(path);
	bool known;

	if (json_valid_ranges(text, out, &known, host, hlen, err, sizeof(err)))
		die("%s: %s", path, err);
	if (!*host)
		snprintf(host, hlen, "%s", path);
	free(text);
	return known;
}

/*
 * @r = @r ∩ @s: one pass over both.  Their ranges are sorted, disjoint and
 * non-adjacent; so are the pieces, in order.
 */
static int ranges_intersect_set(struct iova_ranges *r, const struct iova_ranges *s)
{
	struct iova_ranges acc = IOVA_RANGES_INIT;
	struct range_list l = { NULL, 0, 0 };
	u32 i = 0, j = 0;
	int ret = 0;

	while (!ret && i < r->nr && j < s->nr) {
		const struct iova_range *a = &r->v[i], *b = &s->v[j];
		u64 lo = a->start > b->start ? a->start : b->start;
		u64 hi = a->last < b->last ? a->last : b->last;

		if (lo <= hi)
			ret = range_list_add(&l, lo, hi);
		if (a->last < b->last)
			i++;
		else
			j++;
	}
	if (!ret)
		ret = iova_ranges_union(&acc, l.v, l.nr);
	range_list_free(&l);
	if (ret)
		return ret;
	iova_ranges_move(r, &acc);
	return 0;
}

static int cmd_merge(int argc, char **argv)
{
	struct iova_ranges all = IOVA_RANGES_INIT;
	char (*hosts)[256];
	bool *known, all_known = true;
	u32 *counts;
	int i;

	if (argc < 1)
		die("merge: name at least one JSON file (vfio-iova host --json)");
	hosts = calloc(argc, sizeof(*hosts));
	counts = calloc(argc, sizeof(*counts));
	known = calloc(argc, sizeof(*known));
	if (!hosts || !counts || !known)
		die("out of memory");
	if (iova_ranges_set(&all, 0, ~0ULL))
		die("out of memory");
	/* Read everything first: an error prints nothing but the error. */
	for (i = 0; i < argc; i++) {
		struct iova_ranges one = IOVA_RANGES_INIT;

		known[i] = read_valid(argv[i], &one, hosts[i], sizeof(hosts[i]));
		all_known = all_known && known[i];
		if (ranges_intersect_set(&all, &one))
			die("out of memory");
		counts[i] = one.nr;
		iova_ranges_free(&one);
	}
	if (json) {
		json_t *doc = json_object();

		jset(doc, "version", json_integer(1));
		jset(doc, "merged", json_integer(argc));
		jset(doc, "aperture_known", json_boolean(all_known));
		jset(doc, "valid", jranges(&all));
		json_print(doc);
	} else {
		printf("Merged from:\n");
		for (i = 0; i < argc; i++)
			printf("  %s (%s): %u ranges%s\n", argv[i], hosts[i], counts[i],
			       known[i] ? "" : ", IOMMU aperture unknown");
		printf("\nValid IOVA ranges everywhere: %s\n",
		       "a VM memory map inside them accepts any of these devices on any of these hosts");
		print_ranges_table(&all, "  ");
		if (!all_known)
			printf("The IOMMU aperture is unknown on some of them: %s\n",
			       "there, only the reserved regions are excluded.");
	}
	iova_ranges_free(&all);
	free(hosts);
	free(counts);
	free(known);
	return 0;
}

/* What makes a hole: a reserved region, or an aperture, of some groups. */
struct cause {
	bool aperture;
	u64 start, last;
	const char *what;	/* the region's type, or how the aperture is known */
};

static bool same_cause(const struct cause *a, const struct cause *b)
{
	return a->aperture == b->aperture && a->start == b->start && a->last == b->last &&
	       !strcmp(a->what, b->what);
}

static bool has_cause(const struct group_info *g, const void *arg)
{
	const struct cause *c = arg;
	int j;

	if (c->aperture)
		return g->has_aperture && g->ap_start == c->start && g->ap_last == c->last &&
		       !strcmp(g->ap_source, c->what);
	for (j = 0; j < g->nr_resv; j++)
		if (g->resv[j].start == c->start && g->resv[j].last == c->last &&
		    !strcmp(g->resv[j].type, c->what))
			return true;
	return false;
}

/* One cause, with every group that has it (JSON: into @causes). */
static void print_cause(const struct cause *c, const struct group_info *g, int nr,
			json_t *causes)
{
	int i, count = 0, one = 0;

	if (causes) {
		json_t *o = jrange(c->start, c->last);

		jset(o, "cause", json_string(c->aperture ? "aperture" : "reserved"));
		jset(o, c->aperture ? "source" : "type", jstr(c->what));
		jset(o, "groups", jgroups(g, nr, has_cause, c));
		jadd(causes, o);
		return;
	}
	for (i = 0; i < nr; i++) {
		if (has_cause(&g[i], c)) {
			count++;
			one = i;
		}
	}
	if (c->aperture)
		printf("      outside the IOMMU aperture [0x%llx-0x%llx] of ", c->start, c->last);
	else
		printf("      [0x%llx-0x%llx] reserved region of ", c->start, c->last);
	print_groups(g, nr, has_cause, c);
	if (c->aperture)
		printf(" (%s)\n", c->what);
	else if (count == 1)
		printf(" (type %s): %s\n", c->what, g[one].devices);
	else
		printf(" (type %s)\n", c->what);
}

/*
 * Does entry @j of @g, a reserved region (or at nr_resv the aperture),
 * exclude part of [s, l]?  What it is in *@c.
 */
static bool gap_cause(const struct group_info *g, int j, u64 s, u64 l, struct cause *c)
{
	if (j == g->nr_resv) {
		*c = (struct cause){ true, g->ap_start, g->ap_last, g->ap_source };
		return g->has_aperture && (s < g->ap_start || l > g->ap_last);
	}
	*c = (struct cause){ false, g->resv[j].start, g->resv[j].last, g->resv[j].type };
	return !not_excluded(c->what) && iova_overlaps(s, l, c->start, c->last);
}

/*
 * Name what excludes [s, l]: the reserved regions it overlaps and the
 * apertures it leaves, each once, with the groups it comes from.
 */
static void explain_gap(u64 s, u64 l, const struct group_info *g, int nr, json_t *causes)
{
	bool named = false;
	int i, j, k;

	for (i = 0; i < nr; i++) {
		for (j = 0; j <= g[i].nr_resv; j++) {
			struct cause c, d;

			if (!gap_cause(&g[i], j, s, l, &c))
				continue;
			/* Named already, for an earlier group or region? */
			for (k = 0; k < i && !has_cause(&g[k], &c); k++)
				;
			if (k < i)
				continue;
			for (k = 0; k < j; k++)
				if (gap_cause(&g[i], k, s, l, &d) && same_cause(&c, &d))
					break;
			if (k < j)
				continue;
			print_cause(&c, g, nr, causes);
			named = true;
		}
	}
	if (!named) {
		if (causes) {
			json_t *o = jrange(s, l);

			jset(o, "cause", json_string("not valid"));
			jadd(causes, o);
		} else {
			printf("      [0x%llx-0x%llx] is not in the valid ranges%s\n", s, l,
			       nr ? " (the IOMMU aperture reported by the kernel)" : "");
		}
	}
}

static const char **specs, *ranges_file, *output;
static int pid;
static int nr_specs;
static bool assume_full;

/* The map of every --memmap, as one union. */
static void read_memmaps(struct iova_ranges *map)
{
	int i;

	if (!nr_specs)
		die("check: --memmap SPEC is required (for example --memmap 0-2G,4G-68G)");
	for (i = 0; i < nr_specs; i++) {
		if (specs[i][0] == '@') {
			char *text = slurp(specs[i] + 1);

			if (memmap_parse_lines(text, map, err, sizeof(err)))
				die("--memmap %s: %s", specs[i], err);
			free(text);
		} else if (memmap_parse(specs[i], map, err, sizeof(err))) {
			die("--memmap: %s", err);
		}
	}
}

/*
 * The valid ranges of --ranges FILE, of the named groups (the kernel's
 * answer, their sysfs for the causes), or of every group of this host; and
 * whether the aperture behind them is known.  @g and @nr: the groups read.
 */
static bool valid_ranges(const char *cmd, int argc, char **argv, struct iova_ranges *valid,
			 struct group_info **g, int *nr, char *host, size_t hlen)
{
	bool known;
	int i;

	*g = NULL;
	*nr = 0;
	if (ranges_file && argc)
		die("%s: give groups or --ranges FILE, not both", cmd);
	if (ranges_file)
		return read_valid(ranges_file, valid, host, hlen);
	if (argc) {
		int *groups = calloc(argc, sizeof(*groups));

		*g = calloc(argc, sizeof(**g));
		if (!groups || !*g)
			die("out of memory");
		known = kernel_ranges(argv, argc, valid, groups);
		for (i = 0; i < argc; i++)
			if (group_read(groups[i], &(*g)[i], err, sizeof(err)))
				die("%s", err);
		*nr = argc;
		snprintf(host, hlen, "group%s", argc > 1 ? "s" : "");
		for (i = 0; i < argc; i++)
			snprintf(host + strlen(host), hlen - strlen(host), " %d", groups[i]);
		free(groups);
		return known;
	}
	*nr = groups_read_all(g, err, sizeof(err));
	if (*nr < 0)
		die("%s", err);
	if (groups_valid(*g, *nr, valid))
		die("out of memory");
	snprintf(host, hlen, "every IOMMU group of this host");
	return !count_unknown(*g, *nr);
}

static struct vm_shape shape;
static const char *vendor;
static bool plan_opts;

/* A plan option's size: whole MiB unless @unit says otherwise. */
static u64 shape_size(const char *opt, const char *arg, u64 unit)
{
	const char *end;
	u64 x;

	if (parse_size(arg, &end, &x) || *end)
		die("plan: %s %s: not a size (4G, 1536M, 0x40000000)", opt, arg);
	if (x % unit)
		die("plan: %s %s: not a multiple of %s", opt, arg,
		    unit == SZ_1M ? "1 MiB" : "1 GiB");
	return x;
}

static int cmd_plan_args(int argc, char **argv)
{
	struct iova_ranges valid = IOVA_RANGES_INIT;
	struct group_info *g;
	char host[256];
	bool known;
	int nr, ret;
	u64 gs, ge;

	if (!shape.ram)
		die("plan: --ram SIZE is required (for example --ram 16G)");
	if (!shape.machine_name || !strcmp(shape.machine_name, "q35") ||
	    !strncmp(shape.machine_name, "pc-q35-", 7))
		shape.machine = VM_Q35;
	else if (!strcmp(shape.machine_name, "pc") ||
		 !strncmp(shape.machine_name, "pc-i440fx-", 10))
		shape.machine = VM_PC;
	else if (!strcmp(shape.machine_name, "virt") || !strncmp(shape.machine_name, "virt-", 5))
		shape.machine = VM_VIRT;
	else
		die("plan: --machine %s: not q35, pc or virt (or one of their versions)",
		    shape.machine_name);
	if (!shape.machine_name)
		shape.machine_name = "q35";
	if (shape.ram < 64 * SZ_1M)
		die("plan: --ram: at least 64M");
	if (shape.slots && !shape.hotplug)
		die("plan: --slots belongs to --hotplug");
	if (shape.hotplug && !shape.slots)
		shape.slots = 4;
	if (shape.slots > 256)
		die("plan: --slots %u: at most 256", shape.slots);
	if (shape.machine == VM_VIRT && (shape.pci64_given || vendor))
		die("plan: --pci64 and --vendor belong to the x86 machines (q35, pc)");
	if (vendor && strcmp(vendor, "amd") && strcmp(vendor, "intel"))
		die("plan: --vendor %s: amd or intel", vendor);
	if (!shape.qemu)
		shape.qemu = shape.machine == VM_VIRT ? "qemu-system-aarch64" :
			     "qemu-system-x86_64";
	known = valid_ranges("plan", argc, argv, &valid, &g, &nr, host, sizeof(host));
	/*
	 * The vCPU's vendor, unless given: AMD's where the ranges show the
	 * HyperTransport hole (what only AMD's IOMMU reserves), with valid
	 * space above it.
	 */
	shape.amd = vendor ? !strcmp(vendor, "amd") :
		    iova_ranges_first_gap(&valid, HT_START, HT_LAST, &gs, &ge) &&
		    gs == HT_START && ge == HT_LAST &&
		    iova_ranges_contains(&valid, HT_LAST + 1, HT_LAST + 1);
	ret = cmd_plan(&shape, &valid, known, assume_full, ranges_file ? ranges_file : host, json);
	iova_ranges_free(&valid);
	free(g);
	return ret;
}

static int cmd_check(int argc, char **argv)
{
	struct iova_ranges map = IOVA_RANGES_INIT, valid = IOVA_RANGES_INIT;
	struct group_info *g = NULL;
	int nr = 0, i, collisions = 0, status;
	char host[256], size[32];
	json_t *doc = NULL, *list = NULL;
	bool known, unknown;
	u32 k;

	read_memmaps(&map);
	known = valid_ranges("check", argc, argv, &valid, &g, &nr, host, sizeof(host));
	/* No collision then means: none with what is known. */
	unknown = !known && !assume_full;

	for (k = 0; k < map.nr; k++)
		collisions += !iova_ranges_contains(&valid, map.v[k].start, map.v[k].last);
	status = collisions ? EXIT_NOFIT : unknown ? EXIT_UNKNOWN : 0;
	if (json) {
		doc = json_object();
		list = json_array();
		jset(doc, "fits", collisions ? json_false() : unknown ? json_null() : json_true());
		jset(doc, "aperture_known", json_boolean(known));
		jset(doc, "aperture_unknown_groups",
		     jgroups(g, ranges_file || argc ? 0 : nr, aperture_unknown, NULL));
		collisions = 0;
	} else {
		printf("VM memory map against the valid IOVA ranges of %s:\n",
		       ranges_file ? ranges_file : argc ? "the named groups (from the kernel)" :
		       "every IOMMU group of this host (from sysfs)");
	}
	for (k = 0; k < map.nr; k++) {
		u64 s = map.v[k].start, l = map.v[k].last, gap, end;
		bool fits = iova_ranges_contains(&valid, s, l);

		format_size(s, l, size, sizeof(size));
		if (!json)
			printf("  0x%016llx  0x%016llx  %-10s %s\n", s, l, size,
			       fits ? "fits" : "COLLIDES:");
		if (fits)
			continue;
		/* Walk the holes of [s, l]: each is a stretch no valid range covers. */
		while (iova_ranges_first_gap(&valid, s, l, &gap, &end)) {
			json_t *one = NULL, *causes = NULL;

			if (json) {
				one = json_object();
				causes = json_array();
				jset(one, "map", jrange(map.v[k].start, map.v[k].last));
				jset(one, "hole", jrange(gap, end));
			} else {
				printf("    hole 0x%llx-0x%llx:\n", gap, end);
			}
			explain_gap(gap, end, g, nr, causes);
			if (json) {
				jset(one, "causes", causes);
				jadd(list, one);
			}
			collisions++;
			if (end == l)
				break;
			s = end + 1;
		}
	}
	if (json) {
		jset(doc, "collisions", list);
		json_print(doc);
	} else {
		if (!known) {
			printf("The IOMMU aperture ");
			if (ranges_file) {
				printf("of a host in %s is unknown", ranges_file);
			} else if (argc) {
				printf("is unknown (the kernel gives no IOVA range capability)");
			} else {
				printf("of ");
				print_groups(g, nr, aperture_unknown, NULL);
				for (i = 0; g[i].has_aperture; i++)
					;
				printf(" is unknown (%s)", g[i].ap_why);
			}
			printf(": only the reserved regions were checked%s.\n",
			       assume_full ? ", the full 64-bit space assumed" : "");
		}
		if (collisions)
			puts("The memory map does NOT fit.");
		else if (!unknown)
			puts("The memory map fits.");
		else
			printf("%s: %s the full 64-bit space with --assume-full-aperture.\n",
			       "The memory map fits the reserved regions, but the aperture is unknown",
			       ranges_file ? "check each host by group, or accept" :
			       argc ? "accept" :
			       "name the groups or devices (bound to vfio-pci) to ask the kernel, or accept");
	}
	iova_ranges_free(&map);
	iova_ranges_free(&valid);
	free(g);
	return status;
}

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-iova [--json] COMMAND ...\n"
		"  ranges GROUP|DEVICE...    valid IOVA ranges of a container holding them\n"
		"                            (VFIO_IOMMU_GET_INFO; any type1 backend)\n"
		"  host                      every IOMMU group of this host, from sysfs and\n"
		"                            vfio-iommu-iova's debugfs, and their intersection\n"
		"  check --memmap SPEC... [--ranges FILE] [--assume-full-aperture]\n"
		"    [GROUP|DEVICE...]       does a VM memory map fit? exit 0 yes, 1 no, 3 the\n"
		"                            IOMMU aperture is unknown (only reserved regions\n"
		"                            were checked; --assume-full-aperture accepts that)\n"
		"  merge FILE...             intersect `host --json` outputs of many machines\n"
		"  plan --ram SIZE [--hotplug SIZE] [--slots N] [--pci64 SIZE]\n"
		"    [--machine q35|pc|virt] [--vendor amd|intel] [--qemu BINARY]\n"
		"    [--ranges FILE] [--assume-full-aperture] [GROUP|DEVICE...]\n"
		"                            QEMU options for a VM whose memory map fits the\n"
		"                            valid ranges (laid out by QEMU, paused); exit 0\n"
		"                            it fits, 1 no plan fits, 3 aperture unknown\n"
		"  why PID                   why vfio-iommu-iova refused requests of a process\n"
		"                            (its debugfs), and what to change; exit 1 if it\n"
		"                            has no container of ours\n"
		"  hotplug-check --pid PID GROUP|DEVICE...\n"
		"                            would they join the process's container (our\n"
		"                            debugfs)? exit 0 yes, 1 no, 3 an aperture is unknown\n"
		"  metrics [--output FILE]   containers and valid ranges in Prometheus text\n"
		"                            format (FILE replaced atomically, for\n"
		"                            node_exporter's textfile collector)\n"
		"  --json                    machine-readable output\n"
		"  --help, --version\n"
		"SPEC: START-END (END exclusive, up to 2^64: 0-16E is everything) or\n"
		"START+SIZE, comma separated; --memmap again adds more; @FILE reads every\n"
		"line of FILE.  Numbers: decimal with an optional binary unit (4096, 4K,\n"
		"2G, 1TiB: K M G T P E, or KiB ... EiB; not KB), or 0x hex without a unit\n"
		"(0x1000; E is a hex digit: 0x1E is 30).  No fractions: 1536M, not 1.5G.\n"
		"Exit status 2 on errors.  See vfio-iova(1).\n");
}

/* getopt over @optstring; -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, const char *optstring)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "memmap", required_argument, NULL, 'm' },
		{ "ranges", required_argument, NULL, 'r' },
		{ "assume-full-aperture", no_argument, NULL, 'A' },
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "ram", required_argument, NULL, 'R' },
		{ "hotplug", required_argument, NULL, 'H' },
		{ "slots", required_argument, NULL, 'S' },
		{ "pci64", required_argument, NULL, 'P' },
		{ "machine", required_argument, NULL, 'M' },
		{ "vendor", required_argument, NULL, 'v' },
		{ "qemu", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ }
	};
	const char **more;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'm':
			/* Every --memmap counts: the map is their union. */
			more = realloc(specs, (nr_specs + 1) * sizeof(*specs));
			if (!more)
				die("out of memory");
			specs = more;
			specs[nr_specs++] = optarg;
			break;
		case 'r':
			ranges_file = optarg;
			break;
		case 'A':
			assume_full = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'p':
			pid = atoi(optarg);
			if (pid <= 0)
				die("--pid %s: not a process id", optarg);
			break;
		case 'R':
			shape.ram = shape_size("--ram", optarg, SZ_1M);
			plan_opts = true;
			break;
		case 'H':
			shape.hotplug = shape_size("--hotplug", optarg, SZ_1M);
			plan_opts = true;
			break;
		case 'S':
			shape.slots = strtoul(optarg, &end, 10);
			if (!*optarg || *end || !shape.slots)
				die("plan: --slots %s: a number of slots, at least 1", optarg);
			plan_opts = true;
			break;
		case 'P':
			shape.pci64 = shape_size("--pci64", optarg, SZ_1G);
			shape.pci64_given = true;
			plan_opts = true;
			break;
		case 'M':
			shape.machine_name = optarg;
			plan_opts = true;
			break;
		case 'v':
			vendor = optarg;
			plan_opts = true;
			break;
		case 'q':
			shape.qemu = optarg;
			plan_opts = true;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case 'V':
			printf("vfio-iova " VERSION "\n");
			return 0;
		default:
			print_usage(stderr);
			return EXIT_ERR;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int ret;

	/* Options before the command, then (the same ones) after it. */
	ret = parse_options(argc, argv, "+jm:r:o:p:R:H:S:P:M:v:q:hV");
	if (ret >= 0)
		return ret;
	if (optind >= argc) {
		print_usage(stderr);
		return EXIT_ERR;
	}
	cmd = argv[optind++];
	ret = parse_options(argc, argv, "jm:r:o:p:R:H:S:P:M:v:q:");
	if (ret >= 0)
		return ret;
	argc -= optind;
	argv += optind;
	if (nr_specs && strcmp(cmd, "check"))
		die("%s: --memmap belongs to check", cmd);
	if ((ranges_file || assume_full) && strcmp(cmd, "check") && strcmp(cmd, "plan"))
		die("%s: --ranges and --assume-full-aperture belong to check and plan", cmd);
	if (plan_opts && strcmp(cmd, "plan"))
		die("%s: --ram, --hotplug, --slots, --pci64, --machine, --vendor and --qemu %s",
		    cmd, "belong to plan");
	if (!strcmp(cmd, "plan"))
		return cmd_plan_args(argc, argv);
	if (!strcmp(cmd, "ranges"))
		return cmd_ranges(argc, argv);
	if (!strcmp(cmd, "host"))
		return cmd_host(argc, argv);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc, argv);
	if (!strcmp(cmd, "merge"))
		return cmd_merge(argc, argv);
	if (output && strcmp(cmd, "metrics"))
		die("%s: --output belongs to metrics", cmd);
	if (pid && strcmp(cmd, "hotplug-check"))
		die("%s: --pid belongs to hotplug-check", cmd);
	if (!strcmp(cmd, "hotplug-check"))
		return cmd_hotplug_check(argc, argv, pid, json);
	if (!strcmp(cmd, "why"))
		return cmd_why(argc, argv, json);
	if (!strcmp(cmd, "metrics"))
		return cmd_metrics(argc, argv, output);
	warn("unknown command '%s'", cmd);
	print_usage(stderr);
	return EXIT_ERR;
}
