// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-iova hotplug-check --pid PID DEVICE...: before a device_add, would
 * the devices' groups join that process's container?  The kernel refuses
 * an attach when a mapping the container holds would fall outside the
 * group's aperture or into one of its reserved regions; the mappings come
 * from vfio-iommu-iova's debugfs, the group's layout from sysfs, and the
 * conflict is named as the module names it.  Also: the pinned memory a
 * first IOMMU group would add (a container of emulated groups only pins
 * nothing yet) against the process's memlock limit, and the entry limit.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "vfio-iova.h"

/* Is group @gid attached to container @id (its groups file)? */
static bool attached(int id, int gid)
{
	char path[PATH_MAX], line[256];
	bool found = false;
	int g;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/groups", debugfs_root(), id);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "group %d", &g) == 1 && g == gid;
	fclose(f);
	return found;
}

/* The number after @key on a line of /proc/PID/@file; -1 if none. */
static long long proc_field(int pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t n = strlen(key);
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && sscanf(line + n, "%lld", &v) != 1)
			v = -1;
	fclose(f);
	return v;
}

/*
 * From one read of /proc/PID/status: VmLck in kB (-1 if unknown), and
 * whether CAP_IPC_LOCK is in the effective set (no memlock limit then).
 */
static void proc_status(int pid, long long *vmlck_kb, bool *ipc_lock)
{
	unsigned long long caps = 0;
	char path[64], line[256];
	FILE *f;

	*vmlck_kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %lld", vmlck_kb) != 1)
			sscanf(line, "CapEff: %llx", &caps);
	fclose(f);
	*ipc_lock = caps & (1ULL << 14);	/* CAP_IPC_LOCK */
}

/*
 * Why group @g cannot take mapping @m, as the kernel says it: one of its
 * reserved regions, or its aperture.  False if it can.
 */
static bool conflict(const struct group_info *g, const struct mapping *m, char *why, size_t len)
{
	int i;

	for (i = 0; i < g->nr_resv; i++)
		if (strcmp(g->resv[i].type, "direct-relaxable") &&
		    m->start <= g->resv[i].last && g->resv[i].start <= m->last) {
			snprintf(why, len,
				 "mapping [%#llx-%#llx] overlaps its reserved region [%#llx-%#llx] (%s)",
				 (unsigned long long)m->start, (unsigned long long)m->last,
				 (unsigned long long)g->resv[i].start,
				 (unsigned long long)g->resv[i].last, g->resv[i].type);
			return true;
		}
	if (g->has_aperture && (m->start < g->ap_start || m->last > g->ap_last)) {
		snprintf(why, len,
			 "mapping [%#llx-%#llx] is outside the aperture [%#llx-%#llx] of its IOMMU",
			 (unsigned long long)m->start, (unsigned long long)m->last,
			 (unsigned long long)g->ap_start, (unsigned long long)g->ap_last);
		return true;
	}
	return false;
}

int cmd_hotplug_check(int argc, char **argv, int pid, bool as_json)
{
	int n, i, k, d, status = 0, unknown = 0;
	json_t *doc = NULL, *list = NULL, *one = NULL, *groups = NULL;
	struct container *c;
	char msg[512], why[256];

	if (pid <= 0 || argc < 1) {
		fprintf(stderr, "vfio-iova: hotplug-check: %s\n",
			"--pid PID and at least one device or group");
		return 2;
	}
	n = containers_read(debugfs_root(), pid, &c, msg, sizeof(msg));
	if (n < 0) {
		fprintf(stderr, "vfio-iova: hotplug-check: %s\n", msg);
		return 2;
	}
	if (!n) {
		fprintf(stderr,
			"vfio-iova: hotplug-check: pid %d has no container of vfio-iommu-iova (the stock backend shows no mappings to check against)\n",
			pid);
		return 2;
	}
	if (as_json) {
		doc = json_object();
		list = json_array();
		jset(doc, "pid", json_integer(pid));
	}
	for (k = 0; k < n; k++) {
		long long limit_b, vmlck_kb, extra_kb = 0;
		bool ipc_lock = false;
		const struct mapping *m = c[k].maps;
		int nm = c[k].nr_maps;

		/* Without an IOMMU domain nothing is pinned yet: a first group pins it all. */
		if (c[k].pinned == 0 && c[k].mapped)
			extra_kb = (long long)(c[k].mapped >> 10);
		limit_b = proc_field(pid, "limits", "Max locked memory");
		proc_status(pid, &vmlck_kb, &ipc_lock);
		if (ipc_lock)
			limit_b = -1;	/* CAP_IPC_LOCK: no limit */
		if (extra_kb && limit_b >= 0 && vmlck_kb >= 0 &&
		    (vmlck_kb + extra_kb) * 1024 > limit_b)
			status = 1;
		if (as_json) {
			one = json_object();
			groups = json_array();
			jset(one, "id", json_integer(c[k].id));
			jset(one, "mappings", juint(c[k].mappings));
			jset(one, "dma_entry_limit", juint(c[k].entry_limit));
			jset(one, "entry_limit_reached",
			     json_boolean(c[k].mappings >= c[k].entry_limit));
			jset(one, "extra_pinned_kb", json_integer(extra_kb));
		} else {
			printf("pid %d (%s), container %d: %llu of %llu mappings, %llu bytes\n",
			       pid, c[k].comm, c[k].id, c[k].mappings, c[k].entry_limit,
			       c[k].mapped);
		}
		for (d = 0; d < argc; d++) {
			struct group_info g;
			const char *verdict = "fits";
			int gid = group_of_arg(argv[d], msg, sizeof(msg));

			if (gid < 0 || group_read(gid, &g, msg, sizeof(msg))) {
				fprintf(stderr, "vfio-iova: hotplug-check: %s\n", msg);
				containers_free(c, n);
				json_decref(doc);
				json_decref(list);
				json_decref(one);
				json_decref(groups);
				return 2;
			}
			why[0] = 0;
			if (attached(c[k].id, gid)) {
				verdict = "attached";
				snprintf(why, sizeof(why), "in the container already");
			} else {
				for (i = 0; i < nm; i++)
					if (conflict(&g, &m[i], why, sizeof(why)))
						break;
				if (i < nm) {
					verdict = "refused";
					status = 1;
				} else if (!g.has_aperture) {
					verdict = "fits-aperture-unknown";
					unknown = 1;
					snprintf(why, sizeof(why),
						 "no reserved region is in the way; the aperture is unknown (%s)",
						 g.ap_why);
				}
			}
			if (as_json) {
				json_t *o = json_object();

				jset(o, "group", json_integer(gid));
				jset(o, "device", jstr(argv[d]));
				jset(o, "verdict", json_string(verdict));
				jset(o, "why", jstr(why));
				jadd(groups, o);
			} else {
				printf("  group %d (%s): %s%s%s\n", gid, argv[d],
				       !strcmp(verdict, "refused") ? "REFUSED" : verdict,
				       why[0] ? ": " : "", why);
			}
		}
		if (as_json) {
			jset(one, "groups", groups);
			jadd(list, one);
			one = NULL;
			groups = NULL;
		} else {
			if (c[k].mappings >= c[k].entry_limit)
				printf("  entry limit: %llu mappings, %s\n", c[k].mappings,
				       "the container's dma_entry_limit: the VM cannot map more (a device's BARs for peer-to-peer)");
			if (extra_kb && limit_b >= 0 && vmlck_kb >= 0 &&
			    (vmlck_kb + extra_kb) * 1024 > limit_b)
				printf("  memlock: REFUSED: %lld kB more; %lld of %lld kB locked\n",
				       extra_kb, vmlck_kb, limit_b / 1024);
			else if (extra_kb)
				printf("  memlock: %lld kB more to pin, allowed\n", extra_kb);
			else
				printf("  memlock: no more pinned memory (%s)\n",
				       "the container pins guest memory once, for every group");
		}
	}
	containers_free(c, n);
	if (as_json) {
		jset(doc, "containers", list);
		jset(doc, "fits", json_boolean(!status));
		json_print(doc);
	} else {
		printf("%s\n", status ? "The hot-plug would be refused." :
		       unknown ? "No conflict, but an aperture is unknown." :
		       "The hot-plug fits.");
	}
	return status ? 1 : unknown ? 3 : 0;
}
