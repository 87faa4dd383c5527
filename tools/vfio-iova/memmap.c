// SPDX-License-Identifier: GPL-2.0
/*
 * Sizes and memory map specs for vfio-iova.  Every input is checked: a
 * malformed or overflowing spec gives a message naming the offending part,
 * never a wrong answer.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/slab.h>
#include "vfio-iova.h"

int parse_size(const char *s, const char **end, u64 *out)
{
	static const char units[] = "KMGTPE";
	const char *p = s, *u;
	u64 v = 0;
	int base = 10, digits = 0, shift = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			break;
		if (v > (~0ULL - d) / base)
			return -ERANGE;
		v = v * base + d;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	u = *p ? strchr(units, toupper((unsigned char)*p)) : NULL;
	if (u) {
		shift = 10 * (int)(u - units + 1);
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B' || *p == 'b')
			p++;
	}
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*out = v << shift;
	*end = p;
	return 0;
}

int ranges_add(struct iova_ranges *r, u64 start, u64 last)
{
	struct iova_range *v;
	u32 i, j = 0;

	v = kmalloc_array(r->nr + 1, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	/* Copy, merging [start, last] with every range it overlaps or touches. */
	for (i = 0; i < r->nr; i++) {
		struct iova_range x = r->v[i];

		if (last != ~0ULL && last + 1 < x.start)
			break;
		if (x.last != ~0ULL && x.last + 1 < start) {
			v[j++] = x;
			continue;
		}
		if (x.start < start)
			start = x.start;
		if (x.last > last)
			last = x.last;
	}
	v[j].start = start;
	v[j++].last = last;
	for (; i < r->nr; i++)
		v[j++] = r->v[i];
	kfree(r->v);
	r->v = v;
	r->nr = j;
	return 0;
}

int memmap_parse(const char *spec, struct iova_ranges *out, char *err, size_t errlen)
{
	struct iova_ranges r = IOVA_RANGES_INIT;
	const char *p = spec;

	if (!*p) {
		snprintf(err, errlen, "empty memory map");
		return -1;
	}
	while (*p) {
		const char *item = p, *q;
		u64 a, b, last;
		char op;
		int ret;

		ret = parse_size(p, &q, &a);
		if (ret)
			goto bad_size;
		op = *q;
		if (op != '-' && op != '+') {
			snprintf(err, errlen, "'%.*s': expected START-END or START+SIZE",
				 (int)strcspn(item, ","), item);
			goto fail;
		}
		p = q + 1;
		ret = parse_size(p, &q, &b);
		if (ret)
			goto bad_size;
		if (op == '-') {
			if (b <= a) {
				snprintf(err, errlen, "'%.*s': %s", (int)strcspn(item, ","), item,
					 "the end must be above the start (END is exclusive)");
				goto fail;
			}
			last = b - 1;
		} else {
			if (!b) {
				snprintf(err, errlen, "'%.*s': empty range",
					 (int)strcspn(item, ","), item);
				goto fail;
			}
			if (b - 1 > ~0ULL - a) {
				snprintf(err, errlen, "'%.*s': passes the end of the 64-bit space",
					 (int)strcspn(item, ","), item);
				goto fail;
			}
			last = a + (b - 1);
		}
		if (*q && *q != ',') {
			snprintf(err, errlen, "'%.*s': unexpected '%c'",
				 (int)strcspn(item, ","), item, *q);
			goto fail;
		}
		if (ranges_add(&r, a, last)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		p = *q ? q + 1 : q;
		if (*q && !*p) {
			snprintf(err, errlen, "trailing ','");
			goto fail;
		}
		continue;
bad_size:
		snprintf(err, errlen, "'%.*s': %s", (int)strcspn(item, ","), item,
			 ret == -ERANGE ? "number too large for 64 bits" :
			 "expected a number (decimal or 0x hex, suffix K M G T P E)");
		goto fail;
	}
	iova_ranges_move(out, &r);
	return 0;
fail:
	iova_ranges_free(&r);
	return -1;
}

void format_size(u64 start, u64 last, char *buf, size_t len)
{
	static const char * const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	u64 size, whole, rem;
	int u = 0;

	if (start == 0 && last == ~0ULL) {
		snprintf(buf, len, "16 EiB");
		return;
	}
	size = last - start + 1;
	while (u < 6 && size >> (10 * (u + 1)))
		u++;
	whole = size >> (10 * u);
	rem = size - (whole << (10 * u));
	if (!rem) {
		snprintf(buf, len, "%llu %s", whole, unit[u]);
		return;
	}
	/* Hundredths, rounded down: never more than the truth. */
	snprintf(buf, len, "%llu.%02llu %s", whole, (rem >> (10 * u - 10)) * 100 / 1024, unit[u]);
}
