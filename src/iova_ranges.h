/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IOVA range algebra: sets of valid IOVA ranges, kept as a sorted array
 * of disjoint, non-adjacent, inclusive ranges [start, last], so that the top
 * of the address space (last == U64_MAX) needs no special case.
 *
 * This file and iova_ranges.c depend on nothing but <linux/types.h>,
 * <linux/slab.h>, <linux/errno.h> and <linux/sort.h>; they are compiled
 * unchanged into the module and into the host unit test
 * (tests/host/test-iova-ranges.c) against a small shim of those headers.
 *
 * Every operation that changes a set either succeeds or leaves the set as
 * it was (it builds the result aside and swaps it in), so callers can work
 * on a copy and commit it, or simply give up, on any error.
 * No locking: callers serialise access to a set.
 */
#ifndef VFIO_IOVA_RANGES_H
#define VFIO_IOVA_RANGES_H

#include <linux/types.h>

struct iova_range {
	u64 start;
	u64 last;		/* inclusive */
};

struct iova_ranges {
	struct iova_range *v;	/* sorted, disjoint, non-adjacent */
	u32 nr;
};

#define IOVA_RANGES_INIT { .v = NULL, .nr = 0 }

void iova_ranges_init(struct iova_ranges *r);
void iova_ranges_free(struct iova_ranges *r);
/* Replace @dst by @src and leave @src empty (the commit of a copy). */
void iova_ranges_move(struct iova_ranges *dst, struct iova_ranges *src);
int iova_ranges_copy(struct iova_ranges *dst, const struct iova_ranges *src);

/* Make @r the single range [start, last]; -EINVAL if start > last. */
int iova_ranges_set(struct iova_ranges *r, u64 start, u64 last);
/* Keep only what lies inside [start, last] (an aperture). */
int iova_ranges_intersect(struct iova_ranges *r, u64 start, u64 last);
/* Remove [start, last] (a reserved region). */
int iova_ranges_exclude(struct iova_ranges *r, u64 start, u64 last);
/*
 * Add the @n ranges of @add (in any order, overlapping or not) to @r: a sort
 * and one merging pass, O((r->nr + n) log(r->nr + n)).  -EINVAL if a range
 * of @add has start > last.
 */
int iova_ranges_union(struct iova_ranges *r, const struct iova_range *add, u32 n);

/* Is all of [start, last] inside one range of @r? */
bool iova_ranges_contains(const struct iova_ranges *r, u64 start, u64 last);
/*
 * The first stretch of [start, last] that is not in @r: its first IOVA in
 * *@gap and, unless @gap_last is NULL, its last in *@gap_last (clipped to
 * @last); false if there is none (the whole range is valid).
 */
bool iova_ranges_first_gap(const struct iova_ranges *r, u64 start, u64 last,
			   u64 *gap, u64 *gap_last);
/* Do [a_start, a_last] and [b_start, b_last] share an IOVA? */
static inline bool iova_overlaps(u64 a_start, u64 a_last, u64 b_start, u64 b_last)
{
	return a_start <= b_last && b_start <= a_last;
}

#endif /* VFIO_IOVA_RANGES_H */
