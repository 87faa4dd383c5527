// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-iommu-iova's containers as its debugfs shows them: the list
 * (containers), and each one's counters (stats), mappings and refusals.
 * Read by "why" and "metrics".
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "vfio-iova.h"

/* As the module names them (src/refusal.c), in its order. */
const char *const op_names[NR_OPS] = {
	"map", "unmap", "attach", "pin_pages", "dma_rw", "dirty_pages",
};

const char *const reason_names[NR_REASONS] = {
	"argument", "misaligned", "wraps", "overlap", "entry_limit", "memlock", "range",
	"layout", "pin", "not_mapped", "split", "permission", "state", "iommu", "no_memory",
};

/* The value of "KEY: VALUE" in @text, copied; false if absent. */
static bool field(const char *text, const char *key, char *val, size_t len)
{
	size_t n = strlen(key);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t l = strcspn(p, "\n");

		if (!strncmp(p, key, n) && p[n] == ':' && p[n + 1] == ' ') {
			l -= n + 2;
			if (l >= len)
				l = len - 1;
			memcpy(val, p + n + 2, l);
			val[l] = 0;
			return true;
		}
	}
	return false;
}

static unsigned long long number(const char *text, const char *key)
{
	char v[32];

	return field(text, key, v, sizeof(v)) ? strtoull(v, NULL, 10) : 0;
}

/* A small file in full; NULL (errno) if it cannot be read. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(65536);
	if (!buf) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	n = fread(buf, 1, 65535, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/*
 * Every "START-LAST size 0xSIZE ..." line of the container's mappings file
 * (line by line: 65,535 mappings are megabytes), and their bytes.  False
 * only when out of memory.
 */
static bool read_mappings(const char *root, struct container *c)
{
	unsigned long long s, l, size;
	char path[PATH_MAX], line[256];
	int cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/mappings", root, c->id);
	f = fopen(path, "r");
	if (!f)
		return true;	/* none to show (closed since stats was read) */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx size %llx", &s, &l, &size) != 3)
			continue;
		if (c->nr_maps == cap) {
			struct mapping *more = realloc(c->maps, (cap = cap ? 2 * cap : 64) *
							   sizeof(*more));

			if (!more) {
				fclose(f);
				return false;
			}
			c->maps = more;
		}
		c->maps[c->nr_maps].start = s;
		c->maps[c->nr_maps++].last = l;
		c->mapped += size;
	}
	fclose(f);
	return true;
}

static bool read_container(const char *root, struct container *c)
{
	char path[PATH_MAX], key[48], *stats, *ref;
	int i;

	snprintf(path, sizeof(path), "%s/%d/refusals", root, c->id);
	ref = read_text(path);
	snprintf(path, sizeof(path), "%s/%d/stats", root, c->id);
	stats = read_text(path);
	if (!ref || !stats) {
		free(ref);
		free(stats);
		return false;
	}
	field(stats, "type", c->type, sizeof(c->type));
	c->mappings = number(stats, "mappings");
	c->entry_limit = c->mappings + number(stats, "dma_avail");
	c->pinned = number(stats, "pinned_pages");
	if (!read_mappings(root, c)) {
		free(c->maps);
		free(ref);
		free(stats);
		return false;
	}
	c->total = number(ref, "refusals");
	for (i = 0; i < NR_OPS; i++) {
		snprintf(key, sizeof(key), "op.%s", op_names[i]);
		c->ops[i] = number(ref, key);
	}
	for (i = 0; i < NR_REASONS; i++) {
		snprintf(key, sizeof(key), "reason.%s", reason_names[i]);
		c->reasons[i] = number(ref, key);
	}
	if (c->total) {
		field(ref, "last_op", c->last_op, sizeof(c->last_op));
		field(ref, "last_reason", c->last_reason, sizeof(c->last_reason));
		field(ref, "last_text", c->last_text, sizeof(c->last_text));
		c->last_errno = (int)strtol(field(ref, "last_errno", key, sizeof(key)) ? key : "0",
					    NULL, 10);
	}
	free(ref);
	free(stats);
	return true;
}

/*
 * The containers of process @pid (every one if @pid is 0), from @root;
 * their number, or -1 with a message in @err if the list cannot be read.
 * Containers closed while being read are left out.
 */
int containers_read(const char *root, int pid, struct container **out, char *err, size_t len)
{
	struct container *v = NULL, *more, c;
	char path[PATH_MAX], line[512];
	int n = 0, cpid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/containers", root);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, len,
			 "%s: %s: vfio-iommu-iova is not loaded, or debugfs is not mounted (mount -t debugfs none /sys/kernel/debug)",
			 path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		memset(&c, 0, sizeof(c));
		if (sscanf(line, "%d %d %31s", &c.id, &cpid, c.comm) != 3 || (pid && cpid != pid))
			continue;
		c.pid = cpid;
		if (!read_container(root, &c))
			continue;
		more = realloc(v, (n + 1) * sizeof(*v));
		if (!more) {
			free(c.maps);
			containers_free(v, n);
			fclose(f);
			snprintf(err, len, "out of memory");
			return -1;
		}
		v = more;
		v[n++] = c;
	}
	fclose(f);
	*out = v;
	return n;
}

void containers_free(struct container *c, int n)
{
	while (n > 0)
		free(c[--n].maps);
	free(c);
}
