// SPDX-License-Identifier: GPL-2.0
// build: tools/vfio-iova/memmap.c tools/vfio-iova/json.c src/iova_ranges.c
/*
 * The vfio-iova tool's parsers and range union: tables of good and bad
 * inputs, the union against a bitmap model, and a fuzz run of both parsers
 * on random and mutated inputs (under ASan/UBSan: no crash, no leak).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/slab.h>
#include "vfio-iova.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

long shim_live_allocs;
long shim_fail_in;

static int n, failed;

static void result(int ok, const char *what)
{
	n++;
	if (!ok)
		failed++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", n, what);
}

static unsigned long long rnd_state = 0x9e3779b97f4a7c15ULL;

static unsigned long long rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_sizes(void)
{
	static const struct { const char *s; unsigned long long v; int ok; } t[] = {
		{ "0", 0, 1 }, { "4096", 4096, 1 }, { "0x1000", 4096, 1 }, { "4K", 4096, 1 },
		{ "2G", 2ULL << 30, 1 }, { "1TiB", 1ULL << 40, 1 }, { "3MB", 3ULL << 20, 1 },
		{ "15E", 15ULL << 60, 1 }, { "16E", 0, 0 }, { "0xffffffffffffffff", ~0ULL, 1 },
		{ "0x10000000000000000", 0, 0 }, { "18446744073709551616", 0, 0 },
		{ "", 0, 0 }, { "x", 0, 0 }, { "0x", 0, 0 }, { "-1", 0, 0 },
	};
	unsigned int i;
	int ok = 1;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		const char *end;
		u64 v;
		int r = parse_size(t[i].s, &end, &v);

		if (t[i].ok != !r || (!r && (v != t[i].v || *end))) {
			printf("# size '%s': ret %d value %llu\n", t[i].s, r, v);
			ok = 0;
		}
	}
	result(ok, "parse_size: decimal, hex, binary suffixes, overflow refused");
}

static void test_memmap(void)
{
	static const struct { const char *spec; const char *want; } t[] = {
		{ "0-2G,4G-68G", "0x0-0x7fffffff 0x100000000-0x10ffffffff" },
		{ "4G+64G", "0x100000000-0x10ffffffff" },
		{ "0-1G,1G-2G", "0x0-0x7fffffff" },	/* adjacent: merged */
		{ "1G-3G,0-2G", "0x0-0xbfffffff" },	/* overlapping, unordered */
		{ "0xffffffffffff0000+0x10000", "0xffffffffffff0000-0xffffffffffffffff" },
		{ "", NULL }, { "1G", NULL }, { "2G-1G", NULL }, { "1G-1G", NULL },
		{ "0+0", NULL }, { "0-1G,", NULL }, { ",0-1G", NULL }, { "0-1G;2G-3G", NULL },
		{ "0xffffffffffffffff+2", NULL }, { "0-1G,,2G-3G", NULL }, { "1 G-2G", NULL },
	};
	unsigned int i, k;
	int ok = 1, msgs = 1;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		struct iova_ranges r = IOVA_RANGES_INIT;
		char err[256] = "", got[512] = "";
		size_t used = 0;
		int ret = memmap_parse(t[i].spec, &r, err, sizeof(err));

		for (k = 0; k < r.nr; k++)
			used += snprintf(got + used, sizeof(got) - used, "%s0x%llx-0x%llx",
					 k ? " " : "", r.v[k].start, r.v[k].last);
		if (t[i].want ? ret || strcmp(got, t[i].want) : !ret) {
			printf("# memmap '%s': ret %d got '%s' err '%s'\n",
			       t[i].spec, ret, got, err);
			ok = 0;
		}
		if (!t[i].want && !err[0])
			msgs = 0;
		iova_ranges_free(&r);
	}
	result(ok, "memmap_parse: good specs give the union, bad ones are refused");
	result(msgs, "memmap_parse: every refusal has a message");
	result(shim_live_allocs == 0, "memmap_parse: nothing leaked");
}

static void test_union_model(void)
{
	unsigned char model[256];
	int round, ok = 1;

	for (round = 0; round < 2000 && ok; round++) {
		struct iova_ranges r = IOVA_RANGES_INIT;
		int step, x;

		memset(model, 0, sizeof(model));
		for (step = 0; step < 12; step++) {
			unsigned int a = rnd() % 256, b = rnd() % 256;
			unsigned int lo = a < b ? a : b, hi = a < b ? b : a;
			unsigned int k;

			if (ranges_add(&r, lo, hi)) {
				ok = 0;
				break;
			}
			memset(model + lo, 1, hi - lo + 1);
			/* Sorted, disjoint, non-adjacent, and the same set as the model. */
			for (k = 0; k < r.nr; k++)
				if (r.v[k].start > r.v[k].last ||
				    (k && r.v[k - 1].last + 1 >= r.v[k].start))
					ok = 0;
			for (x = 0; x < 256; x++)
				if (model[x] != iova_ranges_contains(&r, x, x))
					ok = 0;
		}
		iova_ranges_free(&r);
	}
	result(ok, "ranges_add: the union equals a bitmap model (2000 random runs)");

	{
		struct iova_ranges r = IOVA_RANGES_INIT;

		ok = !ranges_add(&r, ~0ULL - 10, ~0ULL) && !ranges_add(&r, 0, 5) &&
		     !ranges_add(&r, 6, ~0ULL - 11) && r.nr == 1 && r.v[0].start == 0 &&
		     r.v[0].last == ~0ULL;
		iova_ranges_free(&r);
		result(ok, "ranges_add: the top of the address space merges without wrapping");
	}
	result(shim_live_allocs == 0, "ranges_add: nothing leaked");
}

static void test_format(void)
{
	static const struct { u64 s, l; const char *want; } t[] = {
		{ 0, ~0ULL, "16 EiB" }, { 0, 0x7fffffff, "2 GiB" }, { 0, 0xfedfffff, "3.98 GiB" },
		{ 0x1000, 0x1fff, "4 KiB" }, { 5, 5, "1 B" }, { 1, ~0ULL, "15.99 EiB" },
		{ 0, 1535, "1.50 KiB" },
	};
	unsigned int i;
	int ok = 1;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		char buf[32];

		format_size(t[i].s, t[i].l, buf, sizeof(buf));
		if (strcmp(buf, t[i].want)) {
			printf("# format_size(%#llx, %#llx) = '%s', want '%s'\n",
			       t[i].s, t[i].l, buf, t[i].want);
			ok = 0;
		}
	}
	result(ok, "format_size: binary units, 2^64 included");
}

static void test_json(void)
{
	static const char * const good[] = {
		"{}", "[]", "{\"valid\": [{\"start\": \"0x0\", \"last\": \"0xfff\"}]}",
		" [1, -2.5e3, true, false, null, \"a\\\"b\\u0041\\n\"] ",
		"{\"a\": {\"b\": [[], {}]}}",
	};
	static const char * const bad[] = {
		"", "{", "[1,]", "{\"a\" 1}", "{\"a\": }", "\"abc", "[1] x", "{\"a\": tru}",
		"\"\\x\"", "\"\\u12\"", "[\"a\nb\"]", "{1: 2}", "-", "[-a]", "\"\\",
	};
	char err[256];
	unsigned int i;
	int ok = 1, msg = 1;
	struct jv *v;
	char deep[300];

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		v = json_parse(good[i], err, sizeof(err));
		if (!v) {
			printf("# JSON '%s' refused: %s\n", good[i], err);
			ok = 0;
		}
		json_free(v);
	}
	v = json_parse("{\"x\": 1, \"valid\": [{\"start\": \"0x10\"}]}", err, sizeof(err));
	ok = ok && v && json_get(v, "valid") && json_get(v, "valid")->type == J_ARR &&
	     json_get(v, "valid")->nr == 1 && !json_get(v, "nope") &&
	     !strcmp(json_get(json_get(v, "valid")->kids[0], "start")->str, "0x10");
	json_free(v);
	result(ok, "json_parse: valid documents, json_get");
	ok = 1;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		v = json_parse(bad[i], err, sizeof(err));
		if (v) {
			printf("# JSON '%s' accepted\n", bad[i]);
			ok = 0;
		}
		if (!err[0])
			msg = 0;
		json_free(v);
	}
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = 0;
	v = json_parse(deep, err, sizeof(err));
	ok = ok && !v && strstr(err, "deeply");
	json_free(v);
	result(ok, "json_parse: malformed documents and deep nesting refused");
	result(msg, "json_parse: every refusal has a message with its offset");
}

/* Random bytes, and mutations of good inputs, into both parsers. */
static void test_fuzz(void)
{
	static const char * const seeds[] = {
		"0-2G,4G-68G", "0x100000000+0x40000000",
		"{\"valid\": [{\"start\": \"0x0\", \"last\": \"0x1\"}]}",
		"[1, \"\\u0041\", {\"a\": null}]",
	};
	static const char alphabet[] = "0123456789abcdefxX-+,KMGTPEiB {}[]\":,\\/untrlsefa.eE\n";
	char buf[96], err[256];
	int i;

	for (i = 0; i < 200000; i++) {
		struct iova_ranges r = IOVA_RANGES_INIT;
		size_t len = rnd() % (sizeof(buf) - 1), k;

		if (i & 1) {
			for (k = 0; k < len; k++)
				buf[k] = alphabet[rnd() % (sizeof(alphabet) - 1)];
			buf[len] = 0;
		} else {
			snprintf(buf, sizeof(buf), "%s", seeds[rnd() % 4]);
			len = strlen(buf);
			for (k = rnd() % 4; k > 0 && len; k--)
				buf[rnd() % len] = alphabet[rnd() % (sizeof(alphabet) - 1)];
			if (rnd() % 4 == 0)
				buf[rnd() % (len + 1)] = 0;
		}
		memmap_parse(buf, &r, err, sizeof(err));
		iova_ranges_free(&r);
		json_free(json_parse(buf, err, sizeof(err)));
	}
	result(shim_live_allocs == 0,
	       "fuzz: 200000 random and mutated inputs, no crash, nothing leaked");
}

int main(void)
{
	printf("TAP version 13\n");
	test_sizes();
	test_memmap();
	test_union_model();
	test_format();
	test_json();
	test_fuzz();
	printf("1..%d\n", n);
	return failed != 0;
}
