// SPDX-License-Identifier: GPL-2.0
/*
 * The IOVA range algebra (see iova_ranges.h).  Kernel-agnostic: compiled
 * unchanged into the module and into the host unit tests.
 */
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/types.h>

#include "iova_ranges.h"

void iova_ranges_init(struct iova_ranges *r)
{
	r->v = NULL;
	r->nr = 0;
}

void iova_ranges_free(struct iova_ranges *r)
{
	kfree(r->v);
	iova_ranges_init(r);
}

void iova_ranges_move(struct iova_ranges *dst, struct iova_ranges *src)
{
	kfree(dst->v);
	*dst = *src;
	iova_ranges_init(src);
}

/* An array for up to @nr ranges; a set of zero ranges needs none. */
static struct iova_range *iova_ranges_alloc(u32 nr)
{
	if (!nr)
		return NULL;
	return kmalloc_array(nr, sizeof(struct iova_range), GFP_KERNEL);
}

int iova_ranges_copy(struct iova_ranges *dst, const struct iova_ranges *src)
{
	struct iova_range *v = iova_ranges_alloc(src->nr);
	u32 i;

	if (src->nr && !v)
		return -ENOMEM;
	for (i = 0; i < src->nr; i++)
		v[i] = src->v[i];
	kfree(dst->v);
	dst->v = v;
	dst->nr = src->nr;
	return 0;
}

int iova_ranges_set(struct iova_ranges *r, u64 start, u64 last)
{
	struct iova_range *v;

	if (start > last)
		return -EINVAL;
	v = iova_ranges_alloc(1);
	if (!v)
		return -ENOMEM;
	v[0].start = start;
	v[0].last = last;
	kfree(r->v);
	r->v = v;
	r->nr = 1;
	return 0;
}

/* Swap in a result array of @nr ranges (@v may be larger than needed). */
static void iova_ranges_replace(struct iova_ranges *r, struct iova_range *v, u32 nr)
{
	kfree(r->v);
	if (!nr) {
		kfree(v);
		v = NULL;
	}
	r->v = v;
	r->nr = nr;
}

int iova_ranges_intersect(struct iova_ranges *r, u64 start, u64 last)
{
	struct iova_range *v;
	u32 i, nr = 0;

	if (start > last)
		return -EINVAL;
	v = iova_ranges_alloc(r->nr);
	if (r->nr && !v)
		return -ENOMEM;
	for (i = 0; i < r->nr; i++) {
		const struct iova_range *c = &r->v[i];

		if (!iova_overlaps(c->start, c->last, start, last))
			continue;
		v[nr].start = c->start > start ? c->start : start;
		v[nr].last = c->last < last ? c->last : last;
		nr++;
	}
	iova_ranges_replace(r, v, nr);
	return 0;
}

int iova_ranges_exclude(struct iova_ranges *r, u64 start, u64 last)
{
	struct iova_range *v;
	u32 i, nr = 0;

	if (start > last)
		return -EINVAL;
	/* Excluding from the middle of one range splits it in two. */
	v = iova_ranges_alloc(r->nr + 1);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < r->nr; i++) {
		const struct iova_range *c = &r->v[i];

		if (!iova_overlaps(c->start, c->last, start, last)) {
			v[nr++] = *c;
			continue;
		}
		if (c->start < start) {
			v[nr].start = c->start;
			v[nr].last = start - 1;
			nr++;
		}
		if (c->last > last) {
			v[nr].start = last + 1;
			v[nr].last = c->last;
			nr++;
		}
	}
	iova_ranges_replace(r, v, nr);
	return 0;
}

static int iova_range_cmp(const void *a, const void *b)
{
	const struct iova_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

int iova_ranges_union(struct iova_ranges *r, const struct iova_range *add, u32 n)
{
	struct iova_range *v;
	u32 i, nr, total = r->nr + n;

	if (total < n)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (add[i].start > add[i].last)
			return -EINVAL;
	if (!n)
		return 0;
	v = iova_ranges_alloc(total);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < r->nr; i++)
		v[i] = r->v[i];
	for (i = 0; i < n; i++)
		v[r->nr + i] = add[i];
	sort(v, total, sizeof(*v), iova_range_cmp, NULL);
	/*
	 * Sorted by start: each range either overlaps or touches the last one
	 * kept (extend it) or starts a new one.  A kept range that reaches
	 * U64_MAX absorbs everything after it.
	 */
	nr = 1;
	for (i = 1; i < total; i++) {
		struct iova_range *k = &v[nr - 1];

		if (k->last == U64_MAX || v[i].start <= k->last + 1) {
			if (v[i].last > k->last)
				k->last = v[i].last;
			continue;
		}
		v[nr++] = v[i];
	}
	iova_ranges_replace(r, v, nr);
	return 0;
}

/* Index of the range containing @iova, or of the first range above it. */
static u32 iova_ranges_find(const struct iova_ranges *r, u64 iova)
{
	u32 lo = 0, hi = r->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (r->v[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool iova_ranges_contains(const struct iova_ranges *r, u64 start, u64 last)
{
	u32 i;

	if (start > last)
		return false;
	i = iova_ranges_find(r, start);
	return i < r->nr && r->v[i].start <= start && last <= r->v[i].last;
}

bool iova_ranges_first_gap(const struct iova_ranges *r, u64 start, u64 last,
			   u64 *gap, u64 *gap_last)
{
	u32 i;

	if (start > last)
		return false;
	i = iova_ranges_find(r, start);
	if (i < r->nr && r->v[i].start <= start) {
		/* Ranges are non-adjacent: the end of this one is followed by a gap. */
		if (r->v[i].last >= last)
			return false;
		*gap = r->v[i].last + 1;
		i++;
	} else {
		*gap = start;
	}
	/* The gap ends where the next range starts, or at @last. */
	if (gap_last)
		*gap_last = i < r->nr && r->v[i].start - 1 < last ? r->v[i].start - 1 : last;
	return true;
}
