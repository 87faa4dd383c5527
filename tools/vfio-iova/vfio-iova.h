/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-iova: see and plan the IOVA space of VFIO devices.  Shared
 * declarations of the tool's parts: specs and sizes (memmap.c), a small JSON
 * reader (json.c), the host's IOMMU groups from sysfs (host.c).  The range
 * algebra is the module's own, src/iova_ranges.c, built against tools/shim.
 */
#ifndef VFIO_IOVA_TOOL_H
#define VFIO_IOVA_TOOL_H

#include <stdio.h>
#include <linux/types.h>
#include "iova_ranges.h"

/* memmap.c: sizes ("4G", "0x1000", "512MiB") and memory map specs. */
int parse_size(const char *s, const char **end, u64 *out);
/*
 * "START-END[,START-END...]" (END exclusive) or "START+SIZE": the union of
 * the ranges into @out (inclusive ranges).  0, or -1 with a message in @err.
 */
int memmap_parse(const char *spec, struct iova_ranges *out, char *err, size_t errlen);
/* "16 EiB", "2 GiB", "3.98 GiB", "4 KiB", "512 B": the size of [start, last]. */
void format_size(u64 start, u64 last, char *buf, size_t len);
/* Add [start, last] to @r (union); 0 or -ENOMEM. */
int ranges_add(struct iova_ranges *r, u64 start, u64 last);

/* json.c: just enough JSON to read what vfio-iova writes. */
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
struct jv {
	enum jtype type;
	char *str;		/* J_STR, J_NUM (its text), J_OBJ member name in kids */
	char *key;		/* name of this member when in an object */
	struct jv **kids;	/* J_ARR, J_OBJ */
	size_t nr;
	int boolean;
};

struct jv *json_parse(const char *text, char *err, size_t errlen);
void json_free(struct jv *v);
const struct jv *json_get(const struct jv *obj, const char *key);
void json_string(FILE *f, const char *s);

/* host.c: IOMMU groups as sysfs (and our debugfs) describe them. */
#define MAX_RESV 64
struct resv {
	u64 start, last;
	char type[24];
};

struct group_info {
	int id;
	char devices[512];	/* "0000:00:02.0 (vfio-pci), ..." */
	struct resv resv[MAX_RESV];
	int nr_resv;
	bool has_aperture;
	u64 ap_start, ap_last;
	char ap_source[48];	/* how the aperture is known */
};

/* Root of sysfs and of our debugfs; VFIO_IOVA_SYSFS and VFIO_IOVA_DEBUGFS override. */
const char *sysfs_root(void);
int group_read(int id, struct group_info *g, char *err, size_t errlen);
/* All groups, sorted by id; the count, or -1 with a message. */
int groups_read_all(struct group_info **out, char *err, size_t errlen);
/*
 * The valid IOVA ranges of a set of groups: the intersection of the known
 * apertures minus every reserved region but direct-relaxable ones.
 */
int groups_valid(const struct group_info *g, int nr, struct iova_ranges *valid);
/* The IOMMU group of a PCI device (a BDF), or of a group number given as is. */
int group_of_arg(const char *arg, char *err, size_t errlen);

#endif
