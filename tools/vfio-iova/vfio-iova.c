// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-iova: see and plan the IOVA space before a VM starts.
 *
 *   vfio-iova ranges GROUP|DEVICE...            valid ranges, from the kernel
 *   vfio-iova host                              every IOMMU group, from sysfs
 *   vfio-iova check --memmap SPEC [GROUP|DEVICE...] [--ranges FILE]
 *   vfio-iova merge FILE...                     cluster-wide intersection
 *
 * Human-readable output by default, --json for machines.  Exit status: 0
 * success (check: the map fits), 1 the map does not fit, 2 usage or error.
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

long shim_live_allocs;	/* tools/shim/linux/slab.h bookkeeping */
long shim_fail_in;

static bool json;
static char err[512];

static void __attribute__((format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("vfio-iova: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

/* The members of a JSON range object, then @more (the rest of it). */
static void jrange(const char *sep, u64 start, u64 last, const char *more)
{
	printf("%s{\"start\": \"0x%llx\", \"last\": \"0x%llx\"%s", sep, start, last, more);
}

static void print_ranges_json(const struct iova_ranges *r)
{
	u32 i;

	printf("[");
	for (i = 0; i < r->nr; i++)
		jrange(i ? ", " : "", r->v[i].start, r->v[i].last, "}");
	printf("]");
}

/* Open a type1 container holding the groups; read VFIO_IOMMU_GET_INFO. */
static int kernel_ranges(char **args, int nr, struct iova_ranges *out, int *groups)
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
		iova_ranges_set(out, 0, ~0ULL);
		free(info);
		return 0;
	}
	for (off = info->cap_offset; off; off = h->next) {
		if (off < sizeof(*info) || off + sizeof(*h) > argsz)
			die("VFIO_IOMMU_GET_INFO: capability chain out of bounds");
		h = (void *)((char *)info + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *c = (void *)h;
			u32 k;

			if (off + sizeof(*c) + (u64)c->nr_iovas * sizeof(c->iova_ranges[0]) > argsz)
				die("VFIO_IOMMU_GET_INFO: IOVA range capability out of bounds");
			for (k = 0; k < c->nr_iovas; k++)
				if (ranges_add(out, c->iova_ranges[k].start, c->iova_ranges[k].end))
					die("out of memory");
			free(info);
			return 0;
		}
		if (h->next && h->next <= off)
			die("VFIO_IOMMU_GET_INFO: capability chain loops");
	}
	iova_ranges_set(out, 0, ~0ULL);
	free(info);
	return 0;
}

static int cmd_ranges(int argc, char **argv)
{
	struct iova_ranges r = IOVA_RANGES_INIT;
	int *groups, i;

	if (argc < 1)
		die("ranges: name at least one IOMMU group or PCI device");
	groups = calloc(argc, sizeof(*groups));
	if (!groups)
		die("out of memory");
	kernel_ranges(argv, argc, &r, groups);
	if (json) {
		printf("{\"groups\": [");
		for (i = 0; i < argc; i++)
			printf("%s%d", i ? ", " : "", groups[i]);
		printf("], \"valid\": ");
		print_ranges_json(&r);
		printf("}\n");
	} else {
		printf("Valid IOVA ranges for group%s", argc > 1 ? "s" : "");
		for (i = 0; i < argc; i++)
			printf(" %d", groups[i]);
		printf(" (VFIO_IOMMU_GET_INFO):\n");
		print_ranges_table(&r, "  ");
	}
	iova_ranges_free(&r);
	free(groups);
	return 0;
}

static void print_host(const struct group_info *g, int nr, const struct iova_ranges *valid)
{
	char host[256] = "", size[32];
	int i, j;

	gethostname(host, sizeof(host) - 1);
	if (json) {
		printf("{\"version\": 1, \"host\": ");
		json_string(stdout, host);
		printf(", \"groups\": [");
		for (i = 0; i < nr; i++) {
			printf("%s\n  {\"group\": %d, \"devices\": ", i ? "," : "", g[i].id);
			json_string(stdout, g[i].devices);
			if (g[i].has_aperture) {
				printf(", \"aperture\": ");
				jrange("", g[i].ap_start, g[i].ap_last, "}");
			}
			printf(", \"aperture_source\": ");
			json_string(stdout, g[i].ap_source);
			printf(", \"reserved\": [");
			for (j = 0; j < g[i].nr_resv; j++) {
				jrange(j ? ", " : "", g[i].resv[j].start, g[i].resv[j].last, "");
				printf(", \"type\": \"%s\"}", g[i].resv[j].type);
			}
			printf("]}");
		}
		printf("],\n \"valid\": ");
		print_ranges_json(valid);
		printf("}\n");
		return;
	}
	for (i = 0; i < nr; i++) {
		printf("group %d: %s\n", g[i].id, g[i].devices);
		if (g[i].has_aperture) {
			format_size(g[i].ap_start, g[i].ap_last, size, sizeof(size));
			printf("  aperture  0x%016llx  0x%016llx  %-10s (%s)\n", g[i].ap_start,
			       g[i].ap_last, size, g[i].ap_source);
		} else {
			printf("  aperture  unknown (%s)\n",
			       "not attached to a vfio-iommu-iova container");
		}
		for (j = 0; j < g[i].nr_resv; j++) {
			format_size(g[i].resv[j].start, g[i].resv[j].last, size, sizeof(size));
			printf("  reserved  0x%016llx  0x%016llx  %-10s %s%s\n", g[i].resv[j].start,
			       g[i].resv[j].last, size, g[i].resv[j].type,
			       not_excluded(g[i].resv[j].type) ? " (not excluded)" : "");
		}
	}
	printf("\nValid IOVA ranges for a device of any of these %d groups (host %s):\n", nr,
	       host[0] ? host : "?");
	print_ranges_table(valid, "  ");
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
		die("%s: a NUL byte: not a JSON text", path);
	if (f != stdin)
		fclose(f);
	return buf;
}

static int parse_hex_string(const struct jv *v, u64 *out)
{
	const char *end;

	if (!v || v->type != J_STR)
		return -1;
	if (parse_size(v->str, &end, out) || *end)
		return -1;
	return 0;
}

/* The "valid" ranges of a host/merge/ranges JSON file. */
static void read_valid(const char *path, struct iova_ranges *out, char *host, size_t hlen)
{
	char *text = slurp(path);
	struct jv *doc = json_parse(text, err, sizeof(err));
	const struct jv *valid, *h;
	size_t i;

	if (!doc)
		die("%s: %s", path, err);
	valid = json_get(doc, "valid");
	if (!valid || valid->type != J_ARR)
		die("%s: no \"valid\" array: not vfio-iova JSON output", path);
	for (i = 0; i < valid->nr; i++) {
		u64 s, l;

		if (parse_hex_string(json_get(valid->kids[i], "start"), &s) ||
		    parse_hex_string(json_get(valid->kids[i], "last"), &l) || s > l)
			die("%s: \"valid\" entry %zu: %s", path, i,
			    "not {\"start\": \"0x..\", \"last\": \"0x..\"} with start <= last");
		if (ranges_add(out, s, l))
			die("out of memory");
	}
	h = json_get(doc, "host");
	snprintf(host, hlen, "%s", h && h->type == J_STR ? h->str : path);
	json_free(doc);
	free(text);
}

/* @r = @r ∩ @s */
static int ranges_intersect_set(struct iova_ranges *r, const struct iova_ranges *s)
{
	struct iova_ranges acc = IOVA_RANGES_INIT;
	u32 i;
	int ret = 0;

	for (i = 0; !ret && i < s->nr; i++) {
		struct iova_ranges part = IOVA_RANGES_INIT;
		u32 k;

		ret = iova_ranges_copy(&part, r);
		if (!ret)
			ret = iova_ranges_intersect(&part, s->v[i].start, s->v[i].last);
		for (k = 0; !ret && k < part.nr; k++)
			ret = ranges_add(&acc, part.v[k].start, part.v[k].last);
		iova_ranges_free(&part);
	}
	if (ret) {
		iova_ranges_free(&acc);
		return ret;
	}
	iova_ranges_move(r, &acc);
	return 0;
}

static int cmd_merge(int argc, char **argv)
{
	struct iova_ranges all = IOVA_RANGES_INIT;
	char (*hosts)[256];
	u32 *counts;
	int i;

	if (argc < 1)
		die("merge: name at least one JSON file (vfio-iova host --json)");
	hosts = calloc(argc, sizeof(*hosts));
	counts = calloc(argc, sizeof(*counts));
	if (!hosts || !counts)
		die("out of memory");
	iova_ranges_set(&all, 0, ~0ULL);
	/* Read everything first: an error prints nothing but the error. */
	for (i = 0; i < argc; i++) {
		struct iova_ranges one = IOVA_RANGES_INIT;

		read_valid(argv[i], &one, hosts[i], sizeof(hosts[i]));
		if (ranges_intersect_set(&all, &one))
			die("out of memory");
		counts[i] = one.nr;
		iova_ranges_free(&one);
	}
	if (json) {
		printf("{\"version\": 1, \"merged\": %d, \"valid\": ", argc);
		print_ranges_json(&all);
		printf("}\n");
	} else {
		printf("Merged from:\n");
		for (i = 0; i < argc; i++)
			printf("  %s (%s): %u ranges\n", argv[i], hosts[i], counts[i]);
		printf("\nValid IOVA ranges everywhere: %s\n",
		       "a VM memory map inside them accepts any of these devices on any of these hosts");
		print_ranges_table(&all, "  ");
	}
	iova_ranges_free(&all);
	free(hosts);
	free(counts);
	return 0;
}

/* Name what excludes [s, l]: reserved regions it overlaps, else the aperture. */
static void explain_gap(u64 s, u64 l, const struct group_info *g, int nr, bool have_groups)
{
	bool named = false;
	int i, j;

	for (i = 0; have_groups && i < nr; i++) {
		for (j = 0; j < g[i].nr_resv; j++) {
			const struct resv *r = &g[i].resv[j];

			if (not_excluded(r->type) || !iova_overlaps(s, l, r->start, r->last))
				continue;
			if (json) {
				jrange(named ? ", " : "", r->start, r->last,
				       ", \"cause\": \"reserved\"");
				printf(", \"type\": \"%s\", \"group\": %d}", r->type, g[i].id);
			} else {
				printf("      [0x%llx-0x%llx] %s %s %d (%s)\n", r->start, r->last,
				       r->type, "reserved region of group", g[i].id, g[i].devices);
			}
			named = true;
		}
		if (g[i].has_aperture && (s < g[i].ap_start || l > g[i].ap_last)) {
			if (json) {
				jrange(named ? ", " : "", g[i].ap_start, g[i].ap_last,
				       ", \"cause\": \"aperture\"");
				printf(", \"group\": %d}", g[i].id);
			} else {
				printf("      %s [0x%llx-0x%llx] of group %d (%s)\n",
				       "outside the IOMMU aperture", g[i].ap_start, g[i].ap_last,
				       g[i].id, g[i].ap_source);
			}
			named = true;
		}
	}
	if (!named) {
		if (json)
			jrange("", s, l, ", \"cause\": \"not valid\"}");
		else
			printf("      [0x%llx-0x%llx] is not in the valid ranges%s\n", s, l,
			       have_groups ? " (the IOMMU aperture reported by the kernel)" : "");
	}
}

static int cmd_check(int argc, char **argv, const char *spec, const char *ranges_file)
{
	struct iova_ranges map = IOVA_RANGES_INIT, valid = IOVA_RANGES_INIT;
	struct group_info *g = NULL;
	int nr = 0, i, collisions = 0;
	char host[256], size[32];
	u32 k;

	if (!spec)
		die("check: --memmap SPEC is required (for example --memmap 0-2G,4G-68G)");
	if (spec[0] == '@') {
		char *text = slurp(spec + 1);

		text[strcspn(text, "\n")] = 0;
		if (memmap_parse(text, &map, err, sizeof(err)))
			die("--memmap %s: %s", spec, err);
		free(text);
	} else if (memmap_parse(spec, &map, err, sizeof(err))) {
		die("--memmap: %s", err);
	}
	if (ranges_file && argc)
		die("check: give groups or --ranges FILE, not both");
	if (ranges_file) {
		read_valid(ranges_file, &valid, host, sizeof(host));
	} else if (argc) {
		int *groups = calloc(argc, sizeof(*groups));

		g = calloc(argc, sizeof(*g));
		if (!groups || !g)
			die("out of memory");
		kernel_ranges(argv, argc, &valid, groups);
		for (i = 0; i < argc; i++)
			if (group_read(groups[i], &g[i], err, sizeof(err)))
				die("%s", err);
		nr = argc;
		free(groups);
	} else {
		nr = groups_read_all(&g, err, sizeof(err));
		if (nr < 0)
			die("%s", err);
		if (groups_valid(g, nr, &valid))
			die("out of memory");
	}

	if (json)
		printf("{\"fits\": ");
	else
		printf("VM memory map against the valid IOVA ranges of %s:\n",
		       ranges_file ? ranges_file : argc ? "the named groups (from the kernel)" :
		       "every IOMMU group of this host (from sysfs)");
	if (json) {
		/* Count first, so that "fits" leads the object. */
		for (k = 0; k < map.nr; k++)
			collisions += !iova_ranges_contains(&valid, map.v[k].start, map.v[k].last);
		printf("%s, \"collisions\": [", collisions ? "false" : "true");
		collisions = 0;
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
			if (json) {
				printf("%s{\"map\": ", collisions ? ", " : "");
				jrange("", map.v[k].start, map.v[k].last, "}, \"hole\": ");
				jrange("", gap, end, "}, \"causes\": [");
			} else {
				printf("    hole 0x%llx-0x%llx:\n", gap, end);
			}
			explain_gap(gap, end, g, nr, nr > 0);
			if (json)
				printf("]}");
			collisions++;
			if (end == l)
				break;
			s = end + 1;
		}
	}
	if (json)
		printf("]}\n");
	else
		puts(collisions ? "The memory map does NOT fit." : "The memory map fits.");
	iova_ranges_free(&map);
	iova_ranges_free(&valid);
	free(g);
	return collisions ? EXIT_NOFIT : 0;
}

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-iova [--json] COMMAND ...\n"
		"  ranges GROUP|DEVICE...    valid IOVA ranges of a container holding them\n"
		"                            (VFIO_IOMMU_GET_INFO; any type1 backend)\n"
		"  host                      every IOMMU group of this host, from sysfs and\n"
		"                            vfio-iommu-iova's debugfs, and their intersection\n"
		"  check --memmap SPEC [--ranges FILE] [GROUP|DEVICE...]\n"
		"                            does a VM memory map fit? exit 0 yes, 1 no\n"
		"                            SPEC: START-END[,...] (END exclusive) or START+SIZE,\n"
		"                            sizes 4096, 0x1000, 4K, 2G, 1TiB; @FILE reads it\n"
		"  merge FILE...             intersect `host --json` outputs of many machines\n"
		"  --json                    machine-readable output\n"
		"Exit status 2 on errors.  See vfio-iova(1).\n");
}

static const char *spec, *ranges_file;

/* getopt over @optstring; -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, const char *optstring)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "memmap", required_argument, NULL, 'm' },
		{ "ranges", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'm':
			spec = optarg;
			break;
		case 'r':
			ranges_file = optarg;
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
	ret = parse_options(argc, argv, "+jm:r:hV");
	if (ret >= 0)
		return ret;
	if (optind >= argc) {
		print_usage(stderr);
		return EXIT_ERR;
	}
	cmd = argv[optind++];
	ret = parse_options(argc, argv, "jm:r:");
	if (ret >= 0)
		return ret;
	argc -= optind;
	argv += optind;
	if ((spec || ranges_file) && strcmp(cmd, "check"))
		die("%s: --memmap and --ranges belong to check", cmd);
	if (!strcmp(cmd, "ranges"))
		return cmd_ranges(argc, argv);
	if (!strcmp(cmd, "host"))
		return cmd_host(argc, argv);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc, argv, spec, ranges_file);
	if (!strcmp(cmd, "merge"))
		return cmd_merge(argc, argv);
	fprintf(stderr, "vfio-iova: unknown command '%s'\n", cmd);
	print_usage(stderr);
	return EXIT_ERR;
}
