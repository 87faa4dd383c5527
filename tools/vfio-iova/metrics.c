// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-iova metrics: the Prometheus text exposition format, for
 * node_exporter's textfile collector.  Per container of vfio-iommu-iova
 * (from its debugfs): mappings against the container's dma_entry_limit,
 * bytes mapped, pages charged to the owner's locked memory, refusals by
 * request and by reason.  Per host (from sysfs): the valid IOVA ranges of
 * every IOMMU group together.  With --output FILE the file is replaced
 * atomically (written beside it, then renamed), as the collector expects.
 */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vfio-iova.h"

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void help(FILE *f, const char *name, const char *type, const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void labels(FILE *f, const struct container *c)
{
	fprintf(f, "{container=\"%d\",pid=\"%d\",comm=\"", c->id, c->pid);
	label(f, c->comm);
	fputc('"', f);
}

/* One gauge or counter per container, from the field at @off. */
static void per_container(FILE *f, const struct container *c, int n, const char *name,
			  const char *type, const char *text, size_t off)
{
	int i;

	help(f, name, type, text);
	for (i = 0; i < n; i++) {
		fputs(name, f);
		labels(f, &c[i]);
		fprintf(f, "} %llu\n", *(const unsigned long long *)((const char *)&c[i] + off));
	}
}

/* A counter per container and name: @nr of them from the array at @off. */
static void per_name(FILE *f, const struct container *c, int n, const char *metric,
		     const char *text, const char *label, const char *const *names, int nr,
		     size_t off)
{
	int i, k;

	help(f, metric, "counter", text);
	for (i = 0; i < n; i++)
		for (k = 0; k < nr; k++) {
			const unsigned long long *v = (const void *)((const char *)&c[i] + off);

			fputs(metric, f);
			labels(f, &c[i]);
			fprintf(f, ",%s=\"%s\"} %llu\n", label, names[k], v[k]);
		}
}

static void write_containers(FILE *f, const struct container *c, int n)
{
	per_container(f, c, n, "vfio_iova_container_mappings", "gauge",
		      "DMA mappings of the container", offsetof(struct container, mappings));
	per_container(f, c, n, "vfio_iova_container_dma_entry_limit", "gauge",
		      "dma_entry_limit the container was opened with",
		      offsetof(struct container, entry_limit));
	per_container(f, c, n, "vfio_iova_container_mapped_bytes", "gauge",
		      "bytes of IOVA space mapped", offsetof(struct container, mapped));
	per_container(f, c, n, "vfio_iova_container_charged_pages", "gauge",
		      "pages pinned and charged to the owner's locked memory",
		      offsetof(struct container, pinned));
	per_name(f, c, n, "vfio_iova_container_refused_total", "refused requests, by request",
		 "op", op_names, NR_OPS, offsetof(struct container, ops));
	per_name(f, c, n, "vfio_iova_container_refusals_by_reason_total",
		 "refused requests, by reason", "reason", reason_names, NR_REASONS,
		 offsetof(struct container, reasons));
}

static void write_host(FILE *f, const struct iova_ranges *valid, int unknown)
{
	u32 i;

	help(f, "vfio_iova_host_valid_range_bytes", "gauge",
	     "a valid IOVA range of every IOMMU group of the host together (inclusive start and last)");
	for (i = 0; i < valid->nr; i++) {
		u64 size = valid->v[i].last - valid->v[i].start + 1;

		/* [0, 2^64 - 1] has 2^64 bytes: a double says so. */
		fprintf(f, "%s{start=\"0x%llx\",last=\"0x%llx\"} %.17g\n",
			"vfio_iova_host_valid_range_bytes", (unsigned long long)valid->v[i].start,
			(unsigned long long)valid->v[i].last,
			size ? (double)size : 18446744073709551616.0);
	}
	help(f, "vfio_iova_host_valid_ranges", "gauge", "number of valid IOVA ranges of the host");
	fprintf(f, "vfio_iova_host_valid_ranges %u\n", valid->nr);
	help(f, "vfio_iova_host_groups_aperture_unknown", "gauge",
	     "IOMMU groups whose aperture sysfs does not show (only their reserved regions count)");
	fprintf(f, "vfio_iova_host_groups_aperture_unknown %d\n", unknown);
}

int cmd_metrics(int argc, char **argv, const char *output)
{
	struct iova_ranges valid = IOVA_RANGES_INIT;
	char msg[512], tmp[PATH_MAX];
	struct container *c = NULL;
	struct group_info *g;
	int n, nr, i, unknown = 0, up = 1;
	FILE *f = stdout;

	(void)argv;
	if (argc) {
		fprintf(stderr, "vfio-iova: metrics: takes no arguments\n");
		return 2;
	}
	nr = groups_read_all(&g, msg, sizeof(msg));
	if (nr < 0) {
		fprintf(stderr, "vfio-iova: metrics: %s\n", msg);
		return 2;
	}
	if (groups_valid(g, nr, &valid)) {
		fprintf(stderr, "vfio-iova: metrics: out of memory\n");
		free(g);
		return 2;
	}
	for (i = 0; i < nr; i++)
		unknown += !g[i].has_aperture;
	free(g);
	n = containers_read(debugfs_root(), 0, &c, msg, sizeof(msg));
	if (n < 0) {
		up = 0;	/* not loaded, or no debugfs: the host part still counts */
		n = 0;
	}
	if (output) {
		f = NULL;
		if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", output, getpid()) < (int)sizeof(tmp))
			f = fopen(tmp, "w");
		if (!f) {
			fprintf(stderr, "vfio-iova: metrics: %s: %s\n", output, strerror(errno));
			containers_free(c, n);
			iova_ranges_free(&valid);
			return 2;
		}
	}
	help(f, "vfio_iova_up", "gauge",
	     "1 if vfio-iommu-iova's debugfs could be read (its containers are below)");
	fprintf(f, "vfio_iova_up %d\n", up);
	write_containers(f, c, n);
	write_host(f, &valid, unknown);
	containers_free(c, n);
	iova_ranges_free(&valid);
	if (!output)
		return fflush(f) ? 2 : 0;
	if (fclose(f) || rename(tmp, output)) {
		fprintf(stderr, "vfio-iova: metrics: %s: %s\n", output, strerror(errno));
		unlink(tmp);
		return 2;
	}
	return 0;
}
