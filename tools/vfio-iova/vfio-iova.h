/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-iova: see and plan the IOVA space of VFIO devices.  Shared
 * declarations of the tool's parts: specs and sizes (memmap.c), JSON through
 * jansson (json.c), the host's IOMMU groups from sysfs (host.c).  The range
 * algebra is the module's own, src/iova_ranges.c, built against tools/shim.
 */
#ifndef VFIO_IOVA_TOOL_H
#define VFIO_IOVA_TOOL_H

#include <stdio.h>
#include <jansson.h>
#include <linux/types.h>
#include "iova_ranges.h"

/*
 * memmap.c: sizes and memory map specs.  A size is decimal digits with an
 * optional binary unit (K M G T P E, alone or with "iB": powers of 1024), or
 * 0x and hex digits without a unit (E is a hex digit: 0x1E is 30).
 */
int parse_size(const char *s, const char **end, u64 *out);
/*
 * "START-END[,START-END...]" (END exclusive, at most 2^64) or "START+SIZE"
 * items: their union added to @out (inclusive ranges).  0, or -1 with a
 * message in @err and @out unchanged.
 */
int memmap_parse(const char *spec, struct iova_ranges *out, char *err, size_t errlen);
/*
 * The text of a memory map file: every non-empty line is a spec as above
 * (blanks and a DOS line end around it are ignored).  As memmap_parse(); a
 * message names the line.
 */
int memmap_parse_lines(const char *text, struct iova_ranges *out, char *err, size_t errlen);
/* Ranges as they come (any order, overlapping), for iova_ranges_union(). */
struct range_list {
	struct iova_range *v;
	u32 nr, cap;
};

/* 0 or -ENOMEM; start <= last is the caller's to check. */
int range_list_add(struct range_list *l, u64 start, u64 last);
void range_list_free(struct range_list *l);
/* "16 EiB", "2 GiB", "3.98 GiB", "4 KiB", "512 B": the size of [start, last]. */
void format_size(u64 start, u64 last, char *buf, size_t len);
/*
 * The first @n bytes of @s for a message, at most @max of them (then
 * "..."): control bytes escaped ("\r", "\x01"); if @strict, also "\" and
 * every byte outside ASCII (a pasted Unicode minus shows as "\xe2\x88\x92").
 */
void escape(char *buf, size_t len, const char *s, size_t n, size_t max, bool strict);

/*
 * json.c: JSON through jansson.  Written documents are one line, members in
 * the order set; a builder that fails (out of memory) makes json_print()
 * exit with status 2.  jset(), jadd() take the reference of @v.
 */
json_t *json_read(const char *text, char *err, size_t errlen);
void jset(json_t *obj, const char *key, json_t *v);
void jadd(json_t *arr, json_t *v);
json_t *jhex(u64 v);				/* "0x1f" */
json_t *jrange(u64 start, u64 last);		/* {"start": "0x..", "last": "0x.."} */
json_t *jranges(const struct iova_ranges *r);	/* [jrange, ...] */
json_t *jstr(const char *s);			/* bytes that are not UTF-8 escaped */
json_t *juint(unsigned long long v);
void json_print(json_t *doc);			/* on stdout, and json_decref() */
/*
 * The "valid" ranges of a host, merge or ranges document: their union into
 * @out, whether the IOMMU aperture behind them is known, its "host" ("" if
 * none).  0, or -1 with a message in @err.
 */
int json_valid_ranges(const char *text, struct iova_ranges *out, bool *known, char *host,
		      size_t hlen, char *err, size_t errlen);

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
	char ap_source[48];	/* how the aperture is known, or "unknown" */
	char ap_why[112];	/* why it is unknown */
};

/*
 * Root of sysfs and of our debugfs; VFIO_IOVA_SYSFS and VFIO_IOVA_DEBUGFS
 * override (and VFIO_IOVA_KERNEL_RELEASE the kernel release, for AMD-Vi).
 */
const char *sysfs_root(void);
const char *debugfs_root(void);
int group_read(int id, struct group_info *g, char *err, size_t errlen);
/* All groups, sorted by id; the count, or -1 with a message. */
int groups_read_all(struct group_info **out, char *err, size_t errlen);
/*
 * The valid IOVA ranges of a set of groups: the intersection of the known
 * apertures minus every reserved region but direct-relaxable ones (a group
 * whose aperture is unknown only contributes its reserved regions).
 */
int groups_valid(const struct group_info *g, int nr, struct iova_ranges *valid);
/* The IOMMU group of a PCI device (a BDF), or of a group number given as is. */
int group_of_arg(const char *arg, char *err, size_t errlen);

/* containers.c: vfio-iommu-iova's containers, from its debugfs. */
#define NR_OPS 6
#define NR_REASONS 15
extern const char *const op_names[NR_OPS];		/* map, unmap, ... */
extern const char *const reason_names[NR_REASONS];	/* argument, ... */

struct mapping {
	u64 start, last;
};

struct container {
	int id, pid;
	char comm[32];
	char type[16];
	unsigned long long mappings, entry_limit, mapped, pinned;
	unsigned long long total;	/* refusals */
	unsigned long long ops[NR_OPS], reasons[NR_REASONS];
	char last_op[32], last_reason[32], last_text[512];
	int last_errno;
	struct mapping *maps;		/* its mappings, in IOVA order */
	int nr_maps;
};

int containers_read(const char *root, int pid, struct container **out, char *err, size_t len);
void containers_free(struct container *c, int n);

/* plan.c: a VM shape, and QEMU options whose memory map fits. */
#define SZ_1M 0x100000ULL
#define SZ_1G 0x40000000ULL
/* The AMD HyperTransport range: AMD's IOMMU reserves it. */
#define HT_START 0xfd00000000ULL
#define HT_LAST 0xffffffffffULL
enum vm_machine { VM_Q35, VM_PC, VM_VIRT };
struct vm_shape {
	const char *machine_name;	/* as given: q35, pc-q35-7.2, virt ... */
	enum vm_machine machine;
	u64 ram, hotplug, pci64;	/* hotplug: maxmem - RAM */
	unsigned int slots;
	bool pci64_given;
	bool amd;			/* the vCPU's vendor (x86) */
	const char *qemu;		/* the binary that lays the plan out */
};

/*
 * The regions of a QMP transcript (QEMU's greeting and its answers to the
 * plan's commands, one per line; @text is cut up): how many, or -1 with a
 * message in @err.  The tests' way into plan's QMP reader.
 */
int qmp_memory_map(char *text, bool x86, char *err, size_t len);
int cmd_plan(const struct vm_shape *s, const struct iova_ranges *valid, bool known,
	     bool assume_full, const char *source, bool as_json);

/* why.c, metrics.c, hotplug.c: the commands; their exit status. */
int cmd_why(int argc, char **argv, bool as_json);
int cmd_metrics(int argc, char **argv, const char *output);
int cmd_hotplug_check(int argc, char **argv, int pid, bool as_json);

#endif
