/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space stand-in for <linux/slab.h>: counts live allocations (leak
 * check) and can fail the Nth allocation (error-path check).
 */
#ifndef SHIM_LINUX_SLAB_H
#define SHIM_LINUX_SLAB_H
#include <stdlib.h>

#define GFP_KERNEL 0

extern long shim_live_allocs;	/* allocations not yet freed */
extern long shim_fail_in;	/* > 0: the shim_fail_in-th next allocation fails */

static inline void *kmalloc_array(size_t n, size_t size, int flags)
{
	void *p;

	(void)flags;
	if (shim_fail_in > 0 && --shim_fail_in == 0)
		return NULL;
	if (size && n > (size_t)-1 / size)
		return NULL;
	p = malloc(n * size);
	if (p)
		shim_live_allocs++;
	return p;
}

static inline void kfree(const void *p)
{
	if (p)
		shim_live_allocs--;
	free((void *)p);
}
#endif
