// SPDX-License-Identifier: GPL-2.0
/*
 * The IOVA range algebra (src/iova_ranges.c, compiled unchanged against
 * tools/shim, shared with the vfio-iova tool) compared with a trivial reference model on random
 * operations: a 64-bit bitmap over a window of 64 IOVAs, placed at the
 * bottom of the address space or at its very top (last IOVA U64_MAX).
 * Allocation failures are injected at random: a failed operation must leave
 * the set unchanged.  Every allocation must be freed at the end.  The union
 * (a sort and a merging pass) is also checked on 50,000 random ranges at
 * once against a byte-per-IOVA model of a 4 MiB window.
 *
 * VFIO_IOVA_SEED=<n> replays a run; VFIO_IOVA_ROUNDS=<n> sets its length.
 */
// build: src/iova_ranges.c
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova_ranges.h"

long shim_live_allocs;
long shim_fail_in;

static int n_tests, n_failed;
static u64 seed;

static u64 rnd(void)
{
	/* xorshift64* */
	seed ^= seed >> 12;
	seed ^= seed << 25;
	seed ^= seed >> 27;
	return seed * 0x2545F4914F6CDD1DULL;
}

static void result(int ok, const char *what)
{
	n_tests++;
	if (!ok)
		n_failed++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", n_tests, what);
}

/* The model: bit i set <=> base + i is a valid IOVA. */
struct model {
	u64 base;
	u64 bits;
};

static u64 span_bits(unsigned int lo, unsigned int hi)	/* bits lo..hi */
{
	u64 upper = hi == 63 ? ~0ULL : (1ULL << (hi + 1)) - 1;

	return upper & ~((1ULL << lo) - 1);
}

static u64 to_bits(const struct model *m, const struct iova_ranges *r, int *bad)
{
	u64 bits = 0;
	u32 i;

	for (i = 0; i < r->nr; i++) {
		const struct iova_range *c = &r->v[i];

		if (c->start > c->last || c->start < m->base || c->last - m->base > 63)
			*bad = 1;
		else
			bits |= span_bits(c->start - m->base, c->last - m->base);
		/* sorted, disjoint, non-adjacent */
		if (i && !(r->v[i - 1].last < c->start && c->start - r->v[i - 1].last > 1))
			*bad = 1;
	}
	return bits;
}

static void fail_detail(const char *op, const struct model *m, u64 got)
{
	printf("# rng state %llu: %s: model %016llx set %016llx (base %llx)\n",
	       seed, op, m->bits, got, m->base);
}

static int check_queries(const struct model *m, const struct iova_ranges *r)
{
	unsigned int lo = rnd() % 64, hi = lo + rnd() % (64 - lo);
	u64 want = span_bits(lo, hi), gap, gap_last;
	int in = (m->bits & want) == want;
	bool g = iova_ranges_first_gap(r, m->base + lo, m->base + hi, &gap, &gap_last);
	unsigned int i;

	if (iova_ranges_contains(r, m->base + lo, m->base + hi) != in)
		return 0;
	if (g == in)
		return 0;
	if (g) {
		for (i = lo; m->bits & (1ULL << i); i++)
			;
		if (gap != m->base + i)
			return 0;
		/* The gap runs to the next valid IOVA, or to hi. */
		while (i < hi && !(m->bits & (1ULL << (i + 1))))
			i++;
		if (gap_last != m->base + i)
			return 0;
	}
	/* Reversed ranges are never contained and have no gap. */
	return hi == lo || (!iova_ranges_contains(r, m->base + hi, m->base + lo) &&
			    !iova_ranges_first_gap(r, m->base + hi, m->base + lo, &gap, NULL));
}

static int random_run(unsigned long rounds)
{
	struct iova_ranges r = IOVA_RANGES_INIT, copy = IOVA_RANGES_INIT;
	struct model m = { 0, 0 };
	unsigned long i;
	int ok = 1, enomem = 0;

	for (i = 0; i < rounds && ok; i++) {
		unsigned int lo = rnd() % 64, hi = lo + rnd() % (64 - lo), op = rnd() % 9;
		u64 before = m.bits, want = m.bits, got;
		u32 nr_before = r.nr;
		int bad = 0, ret = 0;
		const char *name = "";

		if (op == 0 || (!r.nr && op < 3)) {	/* a new window, bottom or top */
			m.base = rnd() % 2 ? 0 : U64_MAX - 63;
			before = 0;
			nr_before = 0;
			iova_ranges_free(&r);
		}
		shim_fail_in = rnd() % 16 == 0 ? 1 : 0;
		switch (op) {
		case 0: case 1: case 2:
			name = "set";
			ret = iova_ranges_set(&r, m.base + lo, m.base + hi);
			want = span_bits(lo, hi);
			break;
		case 3: case 4:
			name = "intersect";
			ret = iova_ranges_intersect(&r, m.base + lo, m.base + hi);
			want = m.bits & span_bits(lo, hi);
			break;
		case 5: case 6:
			name = "exclude";
			ret = iova_ranges_exclude(&r, m.base + lo, m.base + hi);
			want = m.bits & ~span_bits(lo, hi);
			break;
		case 8: {	/* add 1 to 4 ranges, in any order */
			struct iova_range add[4];
			unsigned int k, nr = 1 + rnd() % 4;

			name = "union";
			want = m.bits;
			for (k = 0; k < nr; k++) {
				unsigned int a = rnd() % 64, b = a + rnd() % (64 - a);

				add[k].start = m.base + a;
				add[k].last = m.base + b;
				want |= span_bits(a, b);
			}
			ret = iova_ranges_union(&r, add, nr);
			break;
		}
		case 7:		/* work on a copy, then commit or drop it */
			name = "copy";
			ret = iova_ranges_copy(&copy, &r);
			if (!ret && !iova_ranges_exclude(&copy, m.base + lo, m.base + hi) &&
			    rnd() % 2) {
				iova_ranges_move(&r, &copy);
				want = m.bits & ~span_bits(lo, hi);
			}
			iova_ranges_free(&copy);
			break;
		}
		if (op == 0)
			before = 0;
		if (ret == -ENOMEM) {
			enomem++;
			want = op == 0 || (op < 3 && !nr_before) ? 0 : before;
		} else if (ret) {
			printf("# %s returned %d\n", name, ret);
			ok = 0;
		}
		shim_fail_in = 0;
		got = to_bits(&m, &r, &bad);
		if (bad || got != want || (ret == -ENOMEM && r.nr != nr_before && op != 0)) {
			fail_detail(name, &m, got);
			ok = 0;
		}
		m.bits = got;
		if (ok && !check_queries(&m, &r)) {
			fail_detail("contains/first_gap", &m, got);
			ok = 0;
		}
	}
	iova_ranges_free(&r);
	iova_ranges_free(&copy);
	printf("# %lu operations, %d injected allocation failures\n", i, enomem);
	return ok && enomem > 0;
}

static void edge_cases(void)
{
	struct iova_ranges r = IOVA_RANGES_INIT;
	u64 gap = 0;

	result(iova_ranges_set(&r, 5, 4) == -EINVAL && r.nr == 0, "set rejects start > last");
	result(!iova_ranges_set(&r, 0, U64_MAX) && r.nr == 1 &&
	       iova_ranges_contains(&r, 0, U64_MAX), "whole address space");
	result(!iova_ranges_exclude(&r, 0xfee00000, 0xfeefffff) && r.nr == 2 &&
	       r.v[0].last == 0xfedfffff && r.v[1].start == 0xfef00000 &&
	       r.v[1].last == U64_MAX, "exclude the MSI window");
	result(!iova_ranges_exclude(&r, 0xfd00000000ULL, 0xffffffffffULL) && r.nr == 3 &&
	       !iova_ranges_contains(&r, 0xfcfffff000ULL, 0xfd00000fffULL) &&
	       iova_ranges_first_gap(&r, 0xfcfffff000ULL, 0xfd00000fffULL, &gap, NULL) &&
	       gap == 0xfd00000000ULL, "exclude the HyperTransport hole");
	/* 2^39 lies below the HyperTransport hole: two ranges are left. */
	result(!iova_ranges_intersect(&r, 0, (1ULL << 39) - 1) && r.nr == 2 &&
	       r.v[1].last == (1ULL << 39) - 1, "intersect with a 39-bit aperture");
	result(!iova_ranges_exclude(&r, U64_MAX, U64_MAX) && r.nr == 2,
	       "exclude beyond the aperture changes nothing");
	result(!iova_ranges_exclude(&r, 0, U64_MAX) && r.nr == 0 && !r.v &&
	       !iova_ranges_contains(&r, 0, 0), "exclude everything");
	result(!iova_ranges_set(&r, U64_MAX - 4095, U64_MAX) &&
	       iova_ranges_contains(&r, U64_MAX - 4095, U64_MAX) &&
	       !iova_ranges_first_gap(&r, U64_MAX - 4095, U64_MAX, &gap, NULL),
	       "the last page of the address space");
	iova_ranges_free(&r);
	result(shim_live_allocs == 0, "edge cases free everything");
}

static void union_edge_cases(void)
{
	static const struct iova_range top[] = { { U64_MAX - 10, U64_MAX }, { 0, 5 } };
	static const struct iova_range bad[] = { { 0, 1 }, { 9, 8 } };
	static const struct iova_range mid = { 6, U64_MAX - 11 };
	static const struct iova_range all = { 0, U64_MAX };
	static const struct iova_range adj[] = { { 20, 29 }, { 10, 19 }, { 30, 30 }, { 40, 50 } };
	struct iova_ranges r = IOVA_RANGES_INIT;

	result(!iova_ranges_union(&r, top, 2) && r.nr == 2 && r.v[0].start == 0 &&
	       r.v[0].last == 5 && r.v[1].start == U64_MAX - 10 && r.v[1].last == U64_MAX,
	       "union: unordered input comes out sorted");
	result(!iova_ranges_union(&r, &mid, 1) && r.nr == 1 && r.v[0].start == 0 &&
	       r.v[0].last == U64_MAX, "union: ranges touching U64_MAX merge without wrapping");
	result(iova_ranges_union(&r, bad, 2) == -EINVAL && r.nr == 1 && r.v[0].last == U64_MAX,
	       "union: start > last is refused, the set unchanged");
	iova_ranges_free(&r);
	result(!iova_ranges_union(&r, adj, 0) && r.nr == 0 && !r.v,
	       "union: nothing added to nothing is nothing");
	result(!iova_ranges_union(&r, adj, 4) && r.nr == 2 && r.v[0].start == 10 &&
	       r.v[0].last == 30 && r.v[1].start == 40 && r.v[1].last == 50,
	       "union: adjacent ranges merge, a gap of one IOVA stays");
	result(!iova_ranges_union(&r, &all, 1) && r.nr == 1 && r.v[0].start == 0 &&
	       r.v[0].last == U64_MAX, "union: the whole space swallows everything");
	iova_ranges_free(&r);
	result(shim_live_allocs == 0, "union edge cases free everything");
}

/*
 * 50,000 random ranges (short, medium and a few long ones, overlapping,
 * unsorted) over a 4 MiB window at the bottom or the top of the space,
 * added at once and in batches, against a byte per IOVA.
 */
#define BIG_WINDOW (4u << 20)
#define BIG_NR 50000u

static int big_union(u64 base, u32 batch)
{
	static unsigned char model[BIG_WINDOW];
	struct iova_ranges r = IOVA_RANGES_INIT;
	struct iova_range *add = calloc(BIG_NR, sizeof(*add));
	u32 i, k = 0, x = 0;
	int ok = !!add;

	memset(model, 0, sizeof(model));
	for (i = 0; ok && i < BIG_NR; i++) {
		u64 kind = rnd() % 1000, len = kind < 950 ? 1 + rnd() % 64 :
			   kind < 999 ? 1 + rnd() % 1024 : 1 + rnd() % 65536;
		u32 at = rnd() % BIG_WINDOW;

		if (len > BIG_WINDOW - at)
			len = BIG_WINDOW - at;
		add[i].start = base + at;
		add[i].last = base + at + len - 1;
		memset(model + at, 1, len);
	}
	for (i = 0; ok && i < BIG_NR; i += batch)
		ok = !iova_ranges_union(&r, add + i, BIG_NR - i < batch ? BIG_NR - i : batch);
	/* The model's runs of ones, in order, are exactly the set's ranges. */
	while (ok && x < BIG_WINDOW) {
		u32 end;

		if (!model[x]) {
			x++;
			continue;
		}
		for (end = x; end + 1 < BIG_WINDOW && model[end + 1]; end++)
			;
		if (k >= r.nr || r.v[k].start != base + x || r.v[k].last != base + end) {
			printf("# range %u: model [%#llx, %#llx], set [%#llx, %#llx] (%u ranges)\n",
			       k, base + x, base + end, k < r.nr ? r.v[k].start : 0,
			       k < r.nr ? r.v[k].last : 0, r.nr);
			ok = 0;
		}
		k++;
		x = end + 1;
	}
	if (ok && k != r.nr) {
		printf("# %u ranges in the set, %u in the model\n", r.nr, k);
		ok = 0;
	}
	printf("# %u ranges in %u-range batches: %u ranges\n", BIG_NR, batch, r.nr);
	iova_ranges_free(&r);
	free(add);
	return ok;
}

int main(void)
{
	const char *s = getenv("VFIO_IOVA_SEED"), *n = getenv("VFIO_IOVA_ROUNDS");
	unsigned long rounds = n ? strtoul(n, NULL, 0) : 200000;
	int i;

	printf("TAP version 13\n");
	edge_cases();
	union_edge_cases();
	seed = s ? strtoull(s, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	result(big_union(0, BIG_NR), "union of 50,000 random ranges at once agrees with the model");
	result(big_union(U64_MAX - (BIG_WINDOW - 1), 997),
	       "union of 50,000 random ranges at the top, in batches, agrees with the model");
	for (i = 0; i < 4; i++) {
		char what[96];

		seed = s ? strtoull(s, NULL, 0) + i : 0x9e3779b97f4a7c15ULL * (i + 1);
		snprintf(what, sizeof(what), "random run %d (seed %llu) agrees with the model",
			 i, seed);
		result(random_run(rounds / 4), what);
	}
	result(shim_live_allocs == 0, "no allocation left behind");
	printf("1..%d\n", n_tests);
	return n_failed != 0;
}
