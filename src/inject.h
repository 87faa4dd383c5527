/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection for the tests.  Debian's kernels have no fail_page_alloc
 * or failslab (CONFIG_FAULT_INJECTION is off), so the module carries its
 * own switch, compiled in only by `make check` (VFIO_IOVA_FAULT_INJECT=1 in
 * a second build); DKMS and the packages never build it, and there every
 * VFIO_IOVA_INJECT(expr, failed) is just expr.
 *
 * Each use is an injection point: an allocation, a pin, an IOMMU map or
 * attach.  In a test build, /sys/kernel/debug/vfio-iommu-iova/fail-nth
 * works as the kernel's /proc/<pid>/task/<tid>/fail-nth does: writing N
 * makes the Nth injection point the writing thread passes fail, once, with
 * @failed instead of evaluating @expr; reading gives 0 once it failed,
 * else how many points are still to go.  fail-site names the last point
 * that failed (function:line).  fail-func takes function names, blank
 * separated: while set, every point in them fails for the thread that
 * wrote it, every time (for paths that only a second failure reaches).
 *
 * pgsize-min (a power of two, or 0) makes it the smallest page size of
 * every IOMMU domain, the smaller ones invisible, as an IOMMU with larger
 * pages than the CPU's would have them (arm64 with mixed granules): the
 * tests reach the page-size changes on attach and detach with it.
 */
#ifndef VFIO_IOVA_INJECT_H
#define VFIO_IOVA_INJECT_H

#include <linux/types.h>

struct dentry;

#ifdef VFIO_IOVA_FAULT_INJECT
bool vfio_iova_inject_fail(const char *func, int line);
unsigned long vfio_iova_inject_pgsizes(unsigned long pgsizes);
void vfio_iova_inject_debugfs(struct dentry *root);
#else
static inline bool vfio_iova_inject_fail(const char *func, int line)
{
	return false;
}

/* A domain's page sizes, as the container sees them. */
static inline unsigned long vfio_iova_inject_pgsizes(unsigned long pgsizes)
{
	return pgsizes;
}

static inline void vfio_iova_inject_debugfs(struct dentry *root)
{
}
#endif

#define VFIO_IOVA_INJECT(expr, failed) \
	(vfio_iova_inject_fail(__func__, __LINE__) ? (failed) : (expr))

#endif /* VFIO_IOVA_INJECT_H */
