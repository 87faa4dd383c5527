// SPDX-License-Identifier: GPL-2.0
/*
 * The host's IOMMU groups, read without opening any device: reserved
 * regions and device drivers from sysfs, and the aperture from
 *   1. our module's debugfs, for a group attached to one of its containers
 *      (the domain's own geometry: exact);
 *   2. for intel-iommu, the unit's capability registers in sysfs, decoded
 *      as the driver sizes a VFIO domain at attach (MGAW and SAGAW);
 *   3. for AMD-Vi, the v1 page table's space: all 64 bits up to Linux 6.x;
 *      on 7.x (the generic page table) the host translation size the unit
 *      advertises (EFR HATS, as the driver sees it early), capped by the
 *      ACPI IVRS table's VASize.
 * Otherwise (virtio-iommu and arm64's SMMU, for two, publish nothing of it
 * in sysfs) the aperture is unknown and said so, with why: the valid ranges
 * then only exclude the reserved regions, and check says that it cannot
 * tell.
 *
 * sysfs prints a software MSI window (IOMMU_RESV_SW_MSI) and a real MSI
 * doorbell alike, as "msi".  The arm SMMU drivers report exactly one window,
 * [0x8000000, 0x80fffff], as the software one, and no doorbell of their
 * own: behind those drivers that region is named "sw-msi", as the kernel
 * calls it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/slab.h>
#include "vfio-iova.h"

const char *sysfs_root(void)
{
	const char *r = getenv("VFIO_IOVA_SYSFS");

	return r && *r ? r : "/sys";
}

const char *debugfs_root(void)
{
	const char *r = getenv("VFIO_IOVA_DEBUGFS");

	return r && *r ? r : "/sys/kernel/debug/vfio-iommu-iova";
}

/* The first line of a file; -1 with errno set if there is none. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok, e;

	if (!f)
		return -1;
	ok = !!fgets(buf, (int)len, f);
	e = ferror(f) ? errno : ENODATA;
	fclose(f);
	if (!ok) {
		errno = e;
		return -1;
	}
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Why the aperture of @g is unknown. */
static void __attribute__((format(printf, 2, 3))) why(struct group_info *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->ap_why, sizeof(g->ap_why), fmt, ap);
	va_end(ap);
}

/* Aperture from our debugfs: "group N aperture 0xS-0xL ..." lines. */
static bool aperture_from_debugfs(struct group_info *g)
{
	char path[PATH_MAX], line[256];
	struct dirent *e;
	DIR *d = opendir(debugfs_root());
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/groups", debugfs_root(), e->d_name) >=
		    (int)sizeof(path))
			continue;
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long s, l;
			int id;

			if (sscanf(line, "group %d aperture %llx-%llx", &id, &s, &l) == 3 &&
			    id == g->id && s <= l) {
				g->ap_start = s;
				g->ap_last = l;
				snprintf(g->ap_source, sizeof(g->ap_source),
					 "vfio-iommu-iova container %.16s", e->d_name);
				found = true;
				break;
			}
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* intel-iommu: the width a VFIO (second-level) domain gets at attach. */
static bool aperture_from_intel_cap(struct group_info *g, const char *dev)
{
	char path[PATH_MAX], buf[64], *end;
	unsigned long long cap;
	int mgaw, sagaw, agaw, width, gaw;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s/iommu/intel-iommu/cap",
		 sysfs_root(), g->id, dev);
	if (read_line(path, buf, sizeof(buf))) {
		if (errno != ENOENT)
			why(g, "intel-iommu cap: %s", strerror(errno));
		return false;
	}
	errno = 0;
	cap = strtoull(buf, &end, 16);
	if (errno || end == buf || *end) {
		why(g, "intel-iommu cap '%.32s' not understood", buf);
		return false;
	}
	mgaw = (int)((cap >> 16) & 0x3f) + 1;
	sagaw = (int)((cap >> 8) & 0x1f);
	for (agaw = 3; agaw >= 0 && !(sagaw & (1 << agaw)); agaw--)
		;
	width = 30 + 9 * agaw;
	gaw = width < mgaw ? width : mgaw;
	if (agaw < 0 || gaw < 12 || gaw > 64) {
		why(g, "intel-iommu cap %llx: no usable width", cap);
		return false;
	}
	g->ap_start = 0;
	g->ap_last = gaw == 64 ? ~0ULL : (1ULL << gaw) - 1;
	snprintf(g->ap_source, sizeof(g->ap_source), "intel-iommu cap (%d bits)", gaw);
	return true;
}

/* The running kernel's major version (VFIO_IOVA_KERNEL_RELEASE overrides). */
static int kernel_major(void)
{
	const char *r = getenv("VFIO_IOVA_KERNEL_RELEASE");
	struct utsname u;

	if (!r || !*r) {
		if (uname(&u))
			return 0;
		r = u.release;
	}
	return atoi(r);
}

/* The ACPI IVRS table's IVinfo word, or @absent if it cannot be read. */
static unsigned int amd_ivinfo(unsigned int absent)
{
	char path[PATH_MAX];
	unsigned char b[4];
	unsigned int v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/firmware/acpi/tables/IVRS", sysfs_root());
	f = fopen(path, "rb");
	if (!f)
		return absent;
	v = fseek(f, 36, SEEK_SET) || fread(b, 1, 4, f) != 4 ? absent :
		b[0] | b[1] << 8 | b[2] << 16 | (unsigned int)b[3] << 24;
	fclose(f);
	return v;
}

static bool aperture_from_amd(struct group_info *g, const char *dev)
{
	char path[PATH_MAX], buf[64], *end;
	unsigned long long efr;
	unsigned int ivinfo;
	int bits, max, hats;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s/iommu/amd-iommu",
		 sysfs_root(), g->id, dev);
	if (access(path, F_OK))
		return false;
	g->ap_start = 0;
	g->ap_last = ~0ULL;
	snprintf(g->ap_source, sizeof(g->ap_source), "amd-iommu v1 page table");
	if (kernel_major() < 7)
		return true;
	/* 7.x: as many levels as EFR HATS allows (4 + HATS), 9 bits each. */
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s/iommu/%s",
		 sysfs_root(), g->id, dev, "amd-iommu/features");
	if (read_line(path, buf, sizeof(buf))) {
		why(g, "amd-iommu features: %s", strerror(errno));
		return false;
	}
	errno = 0;
	efr = strtoull(buf, &end, 16);
	if (errno || end == buf || (*end && *end != ':')) {
		why(g, "amd-iommu features '%.40s' not understood", buf);
		return false;
	}
	/*
	 * The driver sizes it early, from the EFR the IVRS table carries
	 * (IVinfo EFRSup); without that, before it reads the unit's registers,
	 * as if HATS were 0.  IVinfo's VASize (0: 64) caps it.
	 */
	ivinfo = amd_ivinfo(1);
	hats = ivinfo & 1 ? (int)((efr >> 10) & 3) : 0;
	if (hats == 3) {
		why(g, "amd-iommu EFR HATS is 3 (reserved)");
		return false;
	}
	bits = hats * 9 + 48;
	max = (int)((ivinfo >> 15) & 0x7f) ?: 64;
	if (bits > max)
		bits = max;
	g->ap_last = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	snprintf(g->ap_source, sizeof(g->ap_source), "amd-iommu v1 page table (%d bits)", bits);
	return true;
}

/* The driver of the IOMMU in front of device @dev of @g, or "". */
static void iommu_driver(const struct group_info *g, const char *dev, char *drv, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	drv[0] = 0;
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s/iommu/device/driver",
		 sysfs_root(), g->id, dev);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = 0;
	snprintf(drv, len, "%.*s", (int)len - 1,
		 strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

#define SMMU_SW_MSI_START 0x8000000ULL
#define SMMU_SW_MSI_LAST 0x80fffffULL

/* The SMMU's software MSI window, by its name (see the top of this file). */
static void name_sw_msi(struct group_info *g, const char *dev)
{
	char drv[64];
	int i;

	iommu_driver(g, dev, drv, sizeof(drv));
	if (strcmp(drv, "arm-smmu-v3") && strcmp(drv, "arm-smmu"))
		return;
	for (i = 0; i < g->nr_resv; i++)
		if (!strcmp(g->resv[i].type, "msi") && g->resv[i].start == SMMU_SW_MSI_START &&
		    g->resv[i].last == SMMU_SW_MSI_LAST)
			snprintf(g->resv[i].type, sizeof(g->resv[i].type), "sw-msi");
}

int group_read(int id, struct group_info *g, char *err, size_t errlen)
{
	char path[PATH_MAX], line[256], first[64] = "";
	struct dirent *e;
	size_t used = 0;
	FILE *f;
	DIR *d;

	memset(g, 0, sizeof(*g));
	g->id = id;
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", sysfs_root(), id);
	d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "IOMMU group %d: %s (%s)", id, strerror(errno), path);
		return -1;
	}
	while ((e = readdir(d))) {
		char link[PATH_MAX], target[PATH_MAX];
		const char *drv = "no driver";
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		n = snprintf(link, sizeof(link), "%s/%s/driver", path, e->d_name);
		if (n >= (ssize_t)sizeof(link))
			continue;
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			drv = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
		}
		if (!first[0] || strcmp(e->d_name, first) < 0)
			snprintf(first, sizeof(first), "%.63s", e->d_name);
		if (used < sizeof(g->devices))
			used += snprintf(g->devices + used, sizeof(g->devices) - used, "%s%s (%s)",
					 used ? ", " : "", e->d_name, drv);
	}
	closedir(d);

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/reserved_regions",
		 sysfs_root(), id);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "IOMMU group %d: %s (%s)", id, strerror(errno), path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, l;
		char type[24];

		if (sscanf(line, "%llx %llx %23s", &s, &l, type) != 3 || s > l) {
			snprintf(err, errlen, "IOMMU group %d: cannot read '%.*s' in %s", id,
				 (int)strcspn(line, "\n"), line, path);
			fclose(f);
			return -1;
		}
		if (g->nr_resv == MAX_RESV) {
			snprintf(err, errlen, "IOMMU group %d: more than %d reserved regions",
				 id, MAX_RESV);
			fclose(f);
			return -1;
		}
		g->resv[g->nr_resv].start = s;
		g->resv[g->nr_resv].last = l;
		snprintf(g->resv[g->nr_resv].type, sizeof(g->resv[0].type), "%s", type);
		g->nr_resv++;
	}
	fclose(f);
	if (first[0])
		name_sw_msi(g, first);

	g->has_aperture = aperture_from_debugfs(g) ||
			  (first[0] && (aperture_from_intel_cap(g, first) ||
					aperture_from_amd(g, first)));
	if (!g->has_aperture) {
		snprintf(g->ap_source, sizeof(g->ap_source), "unknown");
		if (!g->ap_why[0])
			why(g, "%s", first[0] ? "its IOMMU does not publish it in sysfs" :
			    "the group has no devices");
	}
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int groups_read_all(struct group_info **out, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct group_info *g = NULL;
	int *ids = NULL, nr = 0, i;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups", sysfs_root());
	d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "%s: %s (is an IOMMU enabled?)", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		int *n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		n = realloc(ids, (nr + 1) * sizeof(*ids));
		if (!n) {
			closedir(d);
			free(ids);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ids = n;
		ids[nr++] = atoi(e->d_name);
	}
	closedir(d);
	qsort(ids, nr, sizeof(*ids), cmp_int);
	g = calloc(nr ? nr : 1, sizeof(*g));
	if (!g) {
		free(ids);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < nr; i++) {
		if (group_read(ids[i], &g[i], err, errlen)) {
			free(ids);
			free(g);
			return -1;
		}
	}
	free(ids);
	*out = g;
	return nr;
}

int groups_valid(const struct group_info *g, int nr, struct iova_ranges *valid)
{
	struct iova_ranges r = IOVA_RANGES_INIT;
	int i, j, ret;

	ret = iova_ranges_set(&r, 0, ~0ULL);
	for (i = 0; !ret && i < nr; i++) {
		if (g[i].has_aperture)
			ret = iova_ranges_intersect(&r, g[i].ap_start, g[i].ap_last);
		for (j = 0; !ret && j < g[i].nr_resv; j++) {
			const struct resv *x = &g[i].resv[j];

			if (strcmp(x->type, "direct-relaxable"))
				ret = iova_ranges_exclude(&r, x->start, x->last);
		}
	}
	if (ret) {
		iova_ranges_free(&r);
		return ret;
	}
	iova_ranges_move(valid, &r);
	return 0;
}

int group_of_arg(const char *arg, char *err, size_t errlen)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *p;
	char *end;
	ssize_t n;
	long v;

	v = strtol(arg, &end, 10);
	if (*arg && !*end && v >= 0 && v < INT_MAX)
		return (int)v;
	if (strchr(arg, '/') || strlen(arg) > 64) {
		snprintf(err, errlen, "'%s': not a group number or a PCI address", arg);
		return -1;
	}
	/* A BDF, with or without the domain. */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s%s/iommu_group", sysfs_root(),
		 strlen(arg) <= 7 ? "0000:" : "", arg);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0) {
		snprintf(err, errlen, "'%s': %s", arg, errno == ENOENT ?
			 "no such PCI device, or it is in no IOMMU group" : strerror(errno));
		return -1;
	}
	target[n] = 0;
	p = strrchr(target, '/');
	return atoi(p ? p + 1 : target);
}
