// SPDX-License-Identifier: GPL-2.0
// build: tools/vfio-iova/memmap.c tools/vfio-iova/json.c tools/vfio-iova/plan.c
// build: src/iova_ranges.c -ljansson
/*
 * The vfio-iova tool's parsers and range union: tables of good and bad
 * inputs (and of what the refusals say), memory map files line by line,
 * the union of parsed maps against a bitmap model (and of 50,000 ranges
 * against a byte model), the readers of host JSON files and of QEMU's QMP
 * answers, and a fuzz run of every reader on random and mutated inputs
 * (under ASan/UBSan: no crash; no leak, jansson's allocations counted).
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
		{ "2G", 2ULL << 30, 1 }, { "1TiB", 1ULL << 40, 1 }, { "4k", 4096, 1 },
		{ "15E", 15ULL << 60, 1 }, { "16E", 0, 0 }, { "0xffffffffffffffff", ~0ULL, 1 },
		{ "0x10000000000000000", 0, 0 }, { "18446744073709551616", 0, 0 },
		{ "", 0, 0 }, { "x", 0, 0 }, { "0x", 0, 0 }, { "-1", 0, 0 },
		/* A hex number takes no unit: E is a digit, G is an error. */
		{ "0x1E", 30, 1 }, { "0x1e", 30, 1 }, { "0x1G", 0, 0 }, { "0x2K", 0, 0 },
		{ "0x1EiB", 0, 0 }, { "0x10P", 0, 0 },
		/* Binary units only: KB, kB, MB and Kb are refused, not taken as K. */
		{ "3MB", 0, 0 }, { "1kB", 0, 0 }, { "1KB", 0, 0 }, { "2Gb", 0, 0 },
		{ "1KiB", 1024, 1 }, { "16383PiB", 16383ULL << 50, 1 },
		/* No fractions. */
		{ "1.5G", 0, 0 }, { "0.5K", 0, 0 },
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
	result(ok, "parse_size: decimal, hex without units, binary units only, overflow refused");
}

static void test_memmap(void)
{
	static const struct { const char *spec; const char *want; } t[] = {
		{ "0-2G,4G-68G", "0x0-0x7fffffff 0x100000000-0x10ffffffff" },
		{ "4G+64G", "0x100000000-0x10ffffffff" },
		{ "0-1G,1G-2G", "0x0-0x7fffffff" },	/* adjacent: merged */
		{ "1G-3G,0-2G", "0x0-0xbfffffff" },	/* overlapping, unordered */
		{ "0xffffffffffff0000+0x10000", "0xffffffffffff0000-0xffffffffffffffff" },
		/* An exclusive END, or a SIZE from 0, may be 2^64. */
		{ "0-16E", "0x0-0xffffffffffffffff" },
		{ "0-0x10000000000000000", "0x0-0xffffffffffffffff" },
		{ "4G-18446744073709551616", "0x100000000-0xffffffffffffffff" },
		{ "0-16384P", "0x0-0xffffffffffffffff" }, { "0+16E", "0x0-0xffffffffffffffff" },
		{ "15E-16EiB", "0xf000000000000000-0xffffffffffffffff" },
		{ "0-2G, 4G-68G", "0x0-0x7fffffff 0x100000000-0x10ffffffff" },
		{ "0x1E-0x20", "0x1e-0x1f" },
		{ "16E-17E", NULL }, { "16E+1", NULL }, { "1+16E", NULL }, { "0-17E", NULL },
		{ "0-0x10000000000000001", NULL }, { "0-0x100000000000000000", NULL },
		{ "0x1G-2G", NULL }, { "0-1.5G", NULL }, { "0-1kB", NULL }, { "0-1G\r", NULL },
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

/* What a refusal says: the rule broken, and the input with its bytes visible. */
static void test_messages(void)
{
	static const struct { const char *spec, *says; } t[] = {
		{ "0x1G-2G", "'0x1G-2G': a 0x number takes no unit: write 0x40000000, or 1G" },
		{ "0x1EiB-2", "E is a hex digit: 0x1E is 30" },
		{ "0-1.5G", "'0-1.5G': fractions are not supported" },
		{ "0-3MB", "'0-3MB': ambiguous unit 'MB': write M or MiB" },
		{ "0-1kB", "ambiguous unit 'kB': write K or KiB" },
		{ "0-1G\r", "'0-1G\\r': unexpected '\\r'" },
		/* A Unicode minus (U+2212), pasted from a document: 0, e2 88 92, 2G. */
		{ "0\xe2\x88\x92\x32G", "'0\\xe2\\x88\\x922G': expected START-END or START+SIZE" },
		{ "0-1G\x01", "unexpected '\\x01'" },
		{ "16E-17E", "START cannot be 2^64" },
		{ "0-17E", "number too large for 64 bits" },
		{ "1+16E", "passes the end of the 64-bit space" },
	};
	unsigned int i;
	int ok = 1, visible = 1;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		struct iova_ranges r = IOVA_RANGES_INIT;
		char err[256] = "";
		const char *c;

		if (!memmap_parse(t[i].spec, &r, err, sizeof(err)) || !strstr(err, t[i].says)) {
			printf("# memmap '%s': '%s', want '%s'\n", t[i].spec, err, t[i].says);
			ok = 0;
		}
		for (c = err; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				visible = 0;
		iova_ranges_free(&r);
	}
	result(ok, "memmap_parse: refusals name the rule (hex units, fractions, KB, 2^64)");
	result(visible, "memmap_parse: messages escape control and non-ASCII bytes");
}

/* A memory map file: every line counts, a bad line is named. */
static void test_lines(void)
{
	static const struct { const char *text, *want, *says; } t[] = {
		{ "0-1G\n0xfee00000+4K\n", "0x0-0x3fffffff 0xfee00000-0xfee00fff", NULL },
		{ "0-1G,2G-3G\n\n\t\n3G+1G\n", "0x0-0x3fffffff 0x80000000-0xffffffff", NULL },
		{ "0-1G\r\n1G-2G\r\n", "0x0-0x7fffffff", NULL },		/* DOS line ends */
		{ "\t0-1G \r\n2G-3G", "0x0-0x3fffffff 0x80000000-0xbfffffff", NULL },
		{ "0-16E\n", "0x0-0xffffffffffffffff", NULL },
		{ "0-1G\n\n1x-2G\n", NULL, "line 3: '1x-2G': expected START-END or START+SIZE" },
		{ "0-1G\n2G-0x1G\n", NULL, "line 2: '2G-0x1G': a 0x number takes no unit" },
		{ "0-1G\n2G-3G,\n", NULL, "line 2: trailing ','" },
		{ "\n \r\n", NULL, "every line is empty" }, { "", NULL, "every line is empty" },
	};
	unsigned int i, k;
	int ok = 1;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		struct iova_ranges r = IOVA_RANGES_INIT;
		char err[256] = "", got[512] = "";
		size_t used = 0;
		int ret = memmap_parse_lines(t[i].text, &r, err, sizeof(err));

		for (k = 0; k < r.nr; k++)
			used += snprintf(got + used, sizeof(got) - used, "%s0x%llx-0x%llx",
					 k ? " " : "", r.v[k].start, r.v[k].last);
		if (t[i].want ? ret || strcmp(got, t[i].want) :
		    !ret || r.nr || !strstr(err, t[i].says)) {
			printf("# lines %u: ret %d got '%s' err '%s'\n", i, ret, got, err);
			ok = 0;
		}
		iova_ranges_free(&r);
	}
	result(ok, "memmap_parse_lines: every non-empty line counts, a bad one is named");

	/* Parsed maps add up (repeated --memmap); a refused one changes nothing. */
	{
		struct iova_ranges r = IOVA_RANGES_INIT;
		char err[256];

		ok = !memmap_parse("4G-5G", &r, err, sizeof(err)) &&
		     !memmap_parse_lines("0-1G\n", &r, err, sizeof(err)) &&
		     memmap_parse("1G-2G,x", &r, err, sizeof(err)) &&
		     !memmap_parse("1G-2G", &r, err, sizeof(err)) && r.nr == 2 &&
		     r.v[0].start == 0 && r.v[0].last == (2ULL << 30) - 1 &&
		     r.v[1].start == 4ULL << 30 && r.v[1].last == (5ULL << 30) - 1;
		iova_ranges_free(&r);
		result(ok, "memmap_parse: maps parsed into one set add up");
	}
	result(shim_live_allocs == 0, "memmap_parse_lines: nothing leaked");
}

/* Sorted, disjoint, non-adjacent, and the same set as @model over [0, @n). */
static int same_as_model(const struct iova_ranges *r, const unsigned char *model, u32 n)
{
	u32 k, x;
	int ok = 1;

	for (k = 0; k < r->nr; k++)
		if (r->v[k].start > r->v[k].last || r->v[k].last >= n ||
		    (k && r->v[k - 1].last + 1 >= r->v[k].start))
			ok = 0;
	for (x = 0; ok && x < n; x++)
		if (model[x] != iova_ranges_contains(r, x, x))
			ok = 0;
	return ok;
}

static void test_union_model(void)
{
	static unsigned char big[1u << 22];
	unsigned char model[256];
	int round, ok = 1;

	for (round = 0; round < 2000 && ok; round++) {
		struct iova_ranges r = IOVA_RANGES_INIT;
		int step;

		memset(model, 0, sizeof(model));
		for (step = 0; step < 4 && ok; step++) {
			char spec[256], err[256];
			size_t used = 0;
			int items = 1 + rnd() % 4;

			/* A spec of random items (START-END or START+SIZE), any order. */
			while (items--) {
				unsigned int a = rnd() % 256, b = rnd() % 256;
				unsigned int lo = a < b ? a : b, hi = a < b ? b : a;

				const char *sep = used ? "," : "";
				char *at = spec + used;
				size_t room = sizeof(spec) - used;
				unsigned int len = hi - lo + 1;

				if (rnd() % 2)
					used += snprintf(at, room, "%s%u-%u", sep, lo, hi + 1);
				else
					used += snprintf(at, room, "%s0x%x+0x%x", sep, lo, len);
				memset(model + lo, 1, hi - lo + 1);
			}
			if (memmap_parse(spec, &r, err, sizeof(err)) ||
			    !same_as_model(&r, model, 256)) {
				printf("# union model: '%s': %s\n", spec, err);
				ok = 0;
			}
		}
		iova_ranges_free(&r);
	}
	result(ok, "memmap_parse: the union equals a bitmap model (2000 random runs)");

	/* 50,000 ranges, one a line (some lines with two), against a byte model. */
	{
		struct iova_ranges r = IOVA_RANGES_INIT;
		size_t cap = 50000 * 48, used = 0;
		char *text = malloc(cap), err[256] = "";
		int i;

		memset(big, 0, sizeof(big));
		for (i = 0; text && i < 50000; i++) {
			u32 at = rnd() % sizeof(big), len = 1 + rnd() % (rnd() % 50 ? 64 : 4096);

			if (len > sizeof(big) - at)
				len = sizeof(big) - at;
			memset(big + at, 1, len);
			used += snprintf(text + used, cap - used, "%s%u+%u", rnd() % 4 ? "\n" : ",",
					 at, len);
		}
		ok = text && !memmap_parse_lines(text + 1, &r, err, sizeof(err)) &&
		     same_as_model(&r, big, sizeof(big));
		printf("# 50000 ranges: %u in the union%s%s\n", r.nr, err[0] ? ": " : "", err);
		iova_ranges_free(&r);
		free(text);
		result(ok, "memmap_parse_lines: a union of 50,000 random ranges equals the model");
	}
	result(shim_live_allocs == 0, "union: nothing leaked");
}

static void test_escape(void)
{
	char buf[64];
	int ok;

	escape(buf, sizeof(buf), "a\rb\x01\\\xe2\x88\x92", 8, 64, true);
	ok = !strcmp(buf, "a\\rb\\x01\\\\\\xe2\\x88\\x92");
	escape(buf, sizeof(buf), "d\xc3\xa9j\xc3\xa0\n\\", 8, 64, false);
	ok = ok && !strcmp(buf, "d\xc3\xa9j\xc3\xa0\\n\\");
	escape(buf, sizeof(buf), "0123456789", 10, 4, true);
	ok = ok && !strcmp(buf, "0123...");
	escape(buf, 8, "\r\r\r\r\r\r", 6, 64, true);
	ok = ok && strlen(buf) < 8;
	result(ok, "escape: control bytes (and, strict, non-ASCII) made visible, bounded");
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

/* jansson's allocations, counted: every JSON value made is freed. */
static long json_live;

static void *json_count_malloc(size_t size)
{
	void *p = malloc(size);

	json_live += !!p;
	return p;
}

static void json_count_free(void *p)
{
	json_live -= !!p;
	free(p);
}

/* @s with every ' turned into ": JSON written without its escapes. */
static char *dq(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = s[i] == '\'' ? '"' : s[i];
	buf[i] = 0;
	return buf;
}

static void test_json(void)
{
	static const struct {
		int nr;			/* ranges; -1: refused */
		int known;
		const char *host, *want;	/* the host; or a piece of the message */
		const char *doc;
	} t[] = {
		{ 1, 1, "a", NULL,
		  "{'host': 'a', 'valid': [{'start': '0x0', 'last': '0xfff'}, {'start': '4K', 'last': '8191'}]}",
		},
		{ 2, 0, "", NULL,
		  "{'valid': [{'start': '0x10', 'last': '0x10'}, {'start': '0x30', 'last': '0xffffffffffffffff'}], 'aperture_known': false}",
		},
		{ 0, 0, "", NULL,
		  "{'groups': [{'aperture_source': 'intel-iommu'}, {'aperture_source': 'unknown'}], 'valid': []}",
		},
		{ 0, 1, "", NULL, "{'groups': [{'aperture_source': 'amd-iommu'}], 'valid': []}" },
		{ 0, 1, "", NULL, "{'valid': [], 'aperture_known': true}" },
		{ -1, 0, NULL, "JSON: ", "" },
		{ -1, 0, NULL, "(line 1, column 11)", "{'valid': [" },
		{ -1, 0, NULL, "JSON: end of file expected", "{'valid': []} x" },
		{ -1, 0, NULL, "no \"valid\" array", "{'groups': []}" },
		{ -1, 0, NULL, "no \"valid\" array", "{'valid': {}}" },
		{ -1, 0, NULL, "entry 0: not {\"start\": \"0x..\", \"last\": \"0x..\"} with",
		  "{'valid': [{'start': '0x10', 'last': '0x1'}]}" },
		{ -1, 0, NULL, "entry 1",
		  "{'valid': [{'start': '0x0', 'last': '0x1'}, {'start': 16, 'last': '0x20'}]}" },
		{ -1, 0, NULL, "entry 0", "{'valid': [{'start': '0x0', 'last': '0x1q'}]}" },
		{ -1, 0, NULL, "entry 0", "{'valid': [{'start': '0x0', 'last': '16E'}]}" },
		{ -1, 0, NULL, "neither true nor false", "{'valid': [], 'aperture_known': 1}" },
		{ -1, 0, NULL, "duplicate", "{'valid': [], 'valid': []}" },
		{ -1, 0, NULL, "JSON: ", "{'valid': ['\\u0000']}" },
	};
	char err[256], host[64], deep[4000], doc[256];
	unsigned int i;
	int ok = 1;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		struct iova_ranges r = IOVA_RANGES_INIT;
		bool known = false;
		int ret;

		err[0] = 0;
		host[0] = 0;
		ret = json_valid_ranges(dq(t[i].doc, doc, sizeof(doc)), &r, &known, host,
					sizeof(host), err, sizeof(err));
		if (t[i].nr < 0 ? !ret || !strstr(err, t[i].want) :
		    ret || (int)r.nr != t[i].nr || known != t[i].known || strcmp(host, t[i].host)) {
			printf("# '%s': %d, %u ranges, known %d, host '%s', '%s'\n", doc, ret, r.nr,
			       known, host, err);
			ok = 0;
		}
		iova_ranges_free(&r);
	}
	result(ok, "json_valid_ranges: host files read, bad ones refused with the reason");

	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = 0;
	ok = !json_read(deep, err, sizeof(err)) && strstr(err, "JSON: ");
	result(ok, "json_read: nesting 4,000 deep refused");
}

/*
 * plan's QMP reader: a transcript as QEMU writes it (\' is an escaped
 * quote inside a string), and broken ones.
 */
static void test_qmp(void)
{
	static const char * const lines[] = {
		"{'QMP': {'version': {'qemu': {'micro': 0, 'minor': 2, 'major': 7}}}}",
		"{'return': {}}",
		"{'id': 'flat', 'return': 'FlatView #0\\r\\n AS \\'memory\\', root: system\\r\\n",
		"  0000000000000000-000000007fffffff (prio 0, ram): vfio-iova-ram\\r\\n",
		"  0000000100000000-000000017fffffff (prio 0, ram): vfio-iova-ram @80000000\\r\\n",
		"  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\\r\\n'}",
		"{'return': '  0000000180000000-000000027fffffff (prio 0, i/o): device-memory', ",
		"'id': 'tree'}",
		"{'return': 10737418240, 'id': 'h64s'}",
		"{'return': 45097156608, 'id': 'h64e'}",
	};
	char good[1024], text[1024], err[256];
	unsigned int i;
	int nr;

	good[0] = 0;
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		size_t n = strlen(good);

		dq(lines[i], good + n, sizeof(good) - n);
		/* A line of QMP ends with a closing brace. */
		if (good[strlen(good) - 1] == '}')
			strcat(good, "\n");
	}
	memcpy(text, good, sizeof(good));
	nr = qmp_memory_map(text, true, err, sizeof(err));
	if (nr != 5)
		printf("# %d regions: %s\n", nr, nr < 0 ? err : "");
	result(nr == 5, "qmp_memory_map: RAM, ROM, hot-plug region, 64-bit PCI window");
	memcpy(text, good, sizeof(good));
	*strstr(text, "\"id\": \"h64e\"") = 'x';
	nr = qmp_memory_map(text, true, err, sizeof(err));
	result(nr == -1 && strstr(err, "64-bit PCI window"),
	       "qmp_memory_map: no 64-bit PCI window: refused, named");
	memcpy(text, good, sizeof(good));
	*strstr(text, "\"id\": \"flat\"") = 'x';
	nr = qmp_memory_map(text, false, err, sizeof(err));
	result(nr == -1 && strstr(err, "info mtree"), "qmp_memory_map: no flat view: refused");
}

/* Random bytes, and mutations of good inputs, into every reader. */
static void test_fuzz(void)
{
	static const char * const seeds[] = {
		"0-2G,4G-68G", "0x100000000+0x40000000",
		"{\"valid\": [{\"start\": \"0x0\", \"last\": \"0x1\"}]}",
		"{\"aperture_known\": false, \"valid\": [], \"host\": \"h\"}",
		"{\"return\": 17, \"id\": \"h64s\"}\n{\"return\": \"x\", \"id\": \"flat\"}",
		"{\"return\": \"  0-ff (prio 0, ram): a\", \"id\": \"tree\"}",
	};
	static const char alphabet[] =
		"0123456789abcdefxX-+,KMGTPEiB {}[]\":,\\/untrlsefa.eE\n\r\t\x80";
	char buf[96], err[256], host[16];
	int i;

	for (i = 0; i < 200000; i++) {
		struct iova_ranges r = IOVA_RANGES_INIT;
		size_t len = rnd() % (sizeof(buf) - 1), k;
		bool known;

		if (i & 1) {
			for (k = 0; k < len; k++)
				buf[k] = alphabet[rnd() % (sizeof(alphabet) - 1)];
			buf[len] = 0;
		} else {
			snprintf(buf, sizeof(buf), "%s", seeds[rnd() % ARRAY_SIZE(seeds)]);
			len = strlen(buf);
			for (k = rnd() % 4; k > 0 && len; k--)
				buf[rnd() % len] = alphabet[rnd() % (sizeof(alphabet) - 1)];
			if (rnd() % 4 == 0)
				buf[rnd() % (len + 1)] = 0;
		}
		memmap_parse(buf, &r, err, sizeof(err));
		memmap_parse_lines(buf, &r, err, sizeof(err));
		json_valid_ranges(buf, &r, &known, host, sizeof(host), err, sizeof(err));
		iova_ranges_free(&r);
		qmp_memory_map(buf, i & 2, err, sizeof(err));
	}
	result(shim_live_allocs == 0 && json_live == 0,
	       "fuzz: 200000 random and mutated inputs, no crash, nothing leaked");
}

int main(void)
{
	printf("TAP version 13\n");
	json_set_alloc_funcs(json_count_malloc, json_count_free);
	test_sizes();
	test_memmap();
	test_messages();
	test_lines();
	test_union_model();
	test_escape();
	test_format();
	test_json();
	test_qmp();
	test_fuzz();
	printf("1..%d\n", n);
	return failed != 0;
}
