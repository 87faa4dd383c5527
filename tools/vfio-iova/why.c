// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-iova why PID: the refusals of a process's VFIO containers, from
 * vfio-iommu-iova's debugfs (containers.c), in plain words, with what to
 * change.  The stock backend keeps no such record: a process whose
 * container it serves is told so.
 */
#define _GNU_SOURCE	/* strerrorname_np() */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vfio-iova.h"

/* Does process @pid have the VFIO container device open? */
static bool has_vfio(int pid)
{
	char path[64], link[PATH_MAX];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char fd[PATH_MAX];
		ssize_t n;

		snprintf(fd, sizeof(fd), "%s/%s", path, e->d_name);
		n = readlink(fd, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			found = !strcmp(link, "/dev/vfio/vfio");
		}
	}
	closedir(d);
	return found;
}

/*
 * What to change, from the reason and the numbers in the module's text
 * (the formats of the module's refusal texts): into @buf.
 */
static void advise(const struct container *c, int pid, char *buf, size_t len)
{
	const char *r = c->last_reason, *t = c->last_text, *p = strstr(t, "IOVA ");
	unsigned long long more, locked, limit, a, s, l;
	char type[24];
	int g;

	if (!strcmp(r, "memlock") &&
	    sscanf(t, "%llu kB more %*[^;]; pid %d has %llu kB locked, RLIMIT_MEMLOCK is %llu",
		   &more, &g, &locked, &limit) == 4) {
		unsigned long long need = locked + more;

		snprintf(buf, len,
			 "raise the memlock limit of pid %d from %llu kB to at least %llu kB (%llu kB more): prlimit --pid %d --memlock=%llu, or LimitMEMLOCK= in its service; every container pins the guest RAM it maps",
			 g, limit, need, need - limit, g, need * 1024);
	} else if (!strcmp(r, "entry_limit") && sscanf(t, "%llu mappings exist", &a) == 1) {
		snprintf(buf, len,
			 "raise dma_entry_limit above %llu for new containers: echo %llu > /sys/module/vfio_iommu_iova/parameters/dma_entry_limit (or options vfio_iommu_iova dma_entry_limit=%llu in /etc/modprobe.d); fewer, larger mappings (huge pages) need fewer entries",
			 a, a * 2, a * 2);
	} else if (!strcmp(r, "range") && p &&
		   sscanf(p, "IOVA %llx is in reserved region [%llx-%llx] (%23[^)]) of group %d",
			  &a, &s, &l, type, &g) == 5) {
		snprintf(buf, len,
			 "guest memory at %#llx collides with the %s region [%#llx-%#llx] of group %d: lay out the VM's memory around it (vfio-iova check --memmap MAP %d tests a map)",
			 a, type, s, l, g, g);
	} else if (!strcmp(r, "range") && p &&
		   sscanf(p, "IOVA %llx is outside the aperture [%llx-%llx] of group %d",
			  &a, &s, &l, &g) == 4) {
		snprintf(buf, len,
			 "group %d's IOMMU translates only [%#llx-%#llx], and guest memory is at %#llx: keep the VM's memory below %#llx (less RAM above 4 GiB, a smaller maxmem or 64-bit PCI window)",
			 g, s, l, a, l + 1);
	} else if (!strcmp(r, "layout") && sscanf(t, "group %d:", &g) == 1) {
		snprintf(buf, len,
			 "group %d cannot join the container of pid %d: its IOMMU cannot reach memory mapped already.  Check a device's group against the VM's memory map before hot-plugging it (vfio-iova check --memmap MAP %d), and lay the map out for every device that may join",
			 g, pid, g);
	} else if (!strcmp(r, "pin")) {
		snprintf(buf, len,
			 "the process's memory could not be pinned: it must be mapped, and writable if mapped for writing");
	} else if (!strcmp(r, "overlap") || !strcmp(r, "split") || !strcmp(r, "not_mapped") ||
		   !strcmp(r, "argument") || !strcmp(r, "misaligned") || !strcmp(r, "wraps")) {
		snprintf(buf, len, "the request itself was wrong (%s): a bug of the VFIO client",
			 r);
	} else if (!strcmp(r, "state") || !strcmp(r, "permission")) {
		snprintf(buf, len, "the request does not fit the container's state; see the text");
	} else {
		snprintf(buf, len, "the kernel could not do it (%s); see the kernel log", r);
	}
}

static void print_human(const struct container *c, int pid)
{
	char advice[1024];
	const char *sep = "";
	int i;

	printf("pid %d (%s), container %d (%s): %llu mappings, %llu pages pinned\n", pid,
	       c->comm, c->id, c->type, c->mappings, c->pinned);
	if (!c->total) {
		printf("  no refusals\n");
		return;
	}
	printf("  %llu refusal%s:", c->total, c->total == 1 ? "" : "s");
	for (i = 0; i < NR_REASONS; i++)
		if (c->reasons[i]) {
			printf("%s %s %llu", sep, reason_names[i], c->reasons[i]);
			sep = ",";
		}
	printf("\n  last: %s refused with %s (%s)\n    %s\n", c->last_op,
	       strerrorname_np(-c->last_errno) ?: "?", c->last_reason, c->last_text);
	advise(c, pid, advice, sizeof(advice));
	printf("  what to do: %s\n", advice);
}

static json_t *container_json(const struct container *c, int pid)
{
	json_t *o = json_object(), *ops = json_object(), *reasons = json_object(), *last;
	char advice[1024];
	int i;

	jset(o, "id", json_integer(c->id));
	jset(o, "type", jstr(c->type));
	jset(o, "mappings", juint(c->mappings));
	jset(o, "pinned_pages", juint(c->pinned));
	jset(o, "refusals", juint(c->total));
	for (i = 0; i < NR_OPS; i++)
		jset(ops, op_names[i], juint(c->ops[i]));
	jset(o, "by_op", ops);
	for (i = 0; i < NR_REASONS; i++)
		jset(reasons, reason_names[i], juint(c->reasons[i]));
	jset(o, "by_reason", reasons);
	if (c->total) {
		advise(c, pid, advice, sizeof(advice));
		last = json_object();
		jset(last, "op", jstr(c->last_op));
		jset(last, "errno", json_integer(-c->last_errno));
		jset(last, "errname", jstr(strerrorname_np(-c->last_errno) ?: "?"));
		jset(last, "reason", jstr(c->last_reason));
		jset(last, "text", jstr(c->last_text));
		jset(last, "advice", jstr(advice));
		jset(o, "last", last);
	}
	return o;
}

/* Is vfio-iommu-iova loaded (its debugfs may still be unmounted)? */
static bool ours_loaded(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/module/vfio_iommu_iova", sysfs_root());
	return !access(path, F_OK);
}

int cmd_why(int argc, char **argv, bool as_json)
{
	struct container *c;
	char *end, msg[512];
	int pid, n, i;
	long v;

	if (argc != 1) {
		fprintf(stderr, "vfio-iova: why: give one process id\n");
		return 2;
	}
	errno = 0;
	v = strtol(argv[0], &end, 10);
	if (errno || *end || end == argv[0] || v <= 0 || v > INT_MAX) {
		fprintf(stderr, "vfio-iova: why: '%s' is not a process id\n", argv[0]);
		return 2;
	}
	pid = (int)v;
	n = containers_read(debugfs_root(), pid, &c, msg, sizeof(msg));
	if (n < 0 && ours_loaded()) {
		fprintf(stderr, "vfio-iova: why: %s\n", msg);
		return 2;
	}
	if (n < 0) {	/* not loaded: whatever the process has is not ours */
		n = 0;
		c = NULL;
	}
	if (as_json) {
		json_t *doc = json_object(), *list = json_array();

		jset(doc, "pid", json_integer(pid));
		for (i = 0; i < n; i++)
			jadd(list, container_json(&c[i], pid));
		jset(doc, "containers", list);
		json_print(doc);
	}
	for (i = 0; i < n && !as_json; i++)
		print_human(&c[i], pid);
	containers_free(c, n);
	if (n)
		return 0;
	if (kill(pid, 0) && errno == ESRCH) {
		fprintf(stderr, "vfio-iova: why: no process %d\n", pid);
		return 2;
	}
	if (as_json)
		return 1;
	if (has_vfio(pid))
		printf("pid %d: %s%s\n", pid,
		       ours_loaded() ? "" : "vfio-iommu-iova is not loaded: ",
		       "its VFIO containers are not served by vfio-iommu-iova (the stock vfio_iommu_type1 keeps no record of why it refuses: load vfio-iommu-iova to get one)");
	else
		printf("pid %d: no VFIO container\n", pid);
	return 1;
}
