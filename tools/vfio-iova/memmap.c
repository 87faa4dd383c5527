// SPDX-License-Identifier: GPL-2.0
/*
 * Sizes and memory map specs for vfio-iova.  Every input is checked: a
 * malformed or overflowing spec gives a message naming the offending part
 * (non-printable bytes escaped), never a wrong answer.
 *
 * The rules, as vfio-iova(1) states them: a size is decimal digits with an
 * optional binary unit K M G T P E (either case, alone or followed by "iB";
 * "KB" and the like are refused as ambiguous), or 0x and hex digits with no
 * unit at all (E is a hex digit: 0x1E is 30, never 1 EiB).  No fractions.
 * Only the exclusive END of START-END, or the SIZE of 0+SIZE, may be 2^64.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vfio-iova.h"

#define ITEM_SHOWN 64	/* bytes of a bad item quoted in a message */

void escape(char *buf, size_t len, const char *s, size_t n, size_t max, bool strict)
{
	size_t used = 0, i;

	if (!len)
		return;
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = s[i];
		char one[8];

		if (c == '\r' || c == '\n' || c == '\t')
			snprintf(one, sizeof(one), "\\%c", c == '\r' ? 'r' : c == '\n' ? 'n' : 't');
		else if (strict && c == '\\')
			snprintf(one, sizeof(one), "\\\\");
		else if (c < 0x20 || c == 0x7f || (strict && c > 0x7f))
			snprintf(one, sizeof(one), "\\x%02x", c);
		else
			snprintf(one, sizeof(one), "%c", c);
		if (used + strlen(one) + 4 > len)
			break;
		used += snprintf(buf + used, len - used, "%s", one);
	}
	if (i < n && used + 3 < len)
		used += snprintf(buf + used, len - used, "...");
	buf[used] = 0;
}

/* Is 2^64 == v * base + d (v * base + d beyond 64 bits)? */
static bool is_2_64(u64 v, unsigned int base, unsigned int d)
{
	u64 rest = 0 - (u64)d;	/* 2^64 - d, for d > 0 */

	if (!d)
		return base == 16 && v == 1ULL << 60;
	return rest % base == 0 && v == rest / base;
}

/*
 * A size at @s (rules above): 0, its value in *@out and where it ends in
 * *@end; *@top instead says that it is exactly 2^64 (*@out 0).  Else
 * -EINVAL or -ERANGE, and why in @why.
 */
static int scan_size(const char *s, const char **end, u64 *out, bool *top,
		     char *why, size_t whylen)
{
	static const char units[] = "KMGTPE";
	const char *p = s, *u;
	unsigned int base = 10, digits = 0, shift = 0;
	bool big = false;
	u64 v = 0;

	*top = false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			break;
		digits++;
		if (big)
			goto too_large;
		if (v <= (U64_MAX - d) / base) {
			v = v * base + d;
		} else if (is_2_64(v, base, d)) {
			big = true;
			v = 0;
		} else {
			goto too_large;
		}
	}
	if (!digits) {
		snprintf(why, whylen, "expected a number (decimal, or 0x hex)");
		return -EINVAL;
	}
	if (base == 10 && *p == '.' && isdigit((unsigned char)p[1])) {
		snprintf(why, whylen,
			 "fractions are not supported: use a smaller unit (1536M, not 1.5G)");
		return -EINVAL;
	}
	u = *p ? strchr(units, toupper((unsigned char)*p)) : NULL;
	if (base == 16 && (u || *p == 'i')) {
		if (u && !big && v <= U64_MAX >> (10 * (u - units + 1)))
			snprintf(why, whylen, "a 0x number takes no unit: write 0x%llx, or %llu%c",
				 v << (10 * (u - units + 1)), v, toupper((unsigned char)*p));
		else
			snprintf(why, whylen, "a 0x number takes no unit (%s)",
				 "E is a hex digit: 0x1E is 30");
		return -EINVAL;
	}
	if (u) {
		shift = 10 * (int)(u - units + 1);
		p++;
		if (p[0] == 'i' && p[1] == 'B') {
			p += 2;
		} else if (*p == 'B' || *p == 'b') {
			char u1 = toupper((unsigned char)p[-1]);

			snprintf(why, whylen, "ambiguous unit '%c%c': write %c or %ciB (%s)",
				 p[-1], *p, u1, u1, "units are binary: K is 1024");
			return -EINVAL;
		}
	}
	if (shift) {
		if (big)
			goto too_large;
		if (v == 1ULL << (64 - shift)) {
			big = true;
			v = 0;
		} else if (v > U64_MAX >> shift) {
			goto too_large;
		} else {
			v <<= shift;
		}
	}
	*top = big;
	*out = v;
	*end = p;
	return 0;
too_large:
	snprintf(why, whylen, "number too large for 64 bits (2^64, 16E, only as an exclusive END)");
	return -ERANGE;
}

int parse_size(const char *s, const char **end, u64 *out)
{
	char why[128];
	bool top;
	int ret = scan_size(s, end, out, &top, why, sizeof(why));

	if (!ret && top)
		return -ERANGE;
	return ret;
}

int range_list_add(struct range_list *l, u64 start, u64 last)
{
	if (l->nr == l->cap) {
		u32 cap = l->cap ? 2 * l->cap : 16;
		struct iova_range *v;

		if (cap < l->cap)
			return -ENOMEM;
		v = reallocarray(l->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->nr].start = start;
	l->v[l->nr++].last = last;
	return 0;
}

void range_list_free(struct range_list *l)
{
	free(l->v);
	l->v = NULL;
	l->nr = 0;
	l->cap = 0;
}

/*
 * One START-END or START+SIZE item at @p (blanks around it ignored): its
 * range, and where it ends.
 */
static int parse_item(const char *p, const char **q, struct iova_range *r,
		      char *why, size_t whylen)
{
	bool top;
	u64 a, b;
	char op;

	p += strspn(p, " \t");
	if (scan_size(p, q, &a, &top, why, whylen))
		return -1;
	if (top) {
		snprintf(why, whylen, "START cannot be 2^64 (the last IOVA is 2^64-1)");
		return -1;
	}
	op = **q;
	if (op != '-' && op != '+') {
		snprintf(why, whylen, "expected START-END or START+SIZE");
		return -1;
	}
	if (scan_size(*q + 1, q, &b, &top, why, whylen))
		return -1;
	*q += strspn(*q, " \t");
	if (**q && **q != ',') {
		char c[8];

		escape(c, sizeof(c), *q, 1, 1, true);
		snprintf(why, whylen, "unexpected '%s' after the %s", c,
			 op == '-' ? "END" : "SIZE");
		return -1;
	}
	r->start = a;
	if (op == '-') {
		/* END is exclusive: 2^64 is the top of the space. */
		if (!top && b <= a) {
			snprintf(why, whylen, "the end must be above the start (END is exclusive)");
			return -1;
		}
		r->last = top ? U64_MAX : b - 1;
		return 0;
	}
	/* SIZE may be 2^64 from 0: the whole space. */
	if (!top && !b) {
		snprintf(why, whylen, "empty range");
		return -1;
	}
	if (top ? a != 0 : b - 1 > U64_MAX - a) {
		snprintf(why, whylen, "passes the end of the 64-bit space");
		return -1;
	}
	r->last = top ? U64_MAX : a + (b - 1);
	return 0;
}

/* The items of @spec into @l; 0 or -1 with a message. */
static int parse_spec(const char *spec, struct range_list *l, char *err, size_t errlen)
{
	const char *p = spec;

	if (!*p) {
		snprintf(err, errlen, "empty memory map");
		return -1;
	}
	while (*p) {
		const char *item = p, *q;
		struct iova_range r;
		char why[160], shown[4 * ITEM_SHOWN + 4];

		if (parse_item(p, &q, &r, why, sizeof(why))) {
			escape(shown, sizeof(shown), item, strcspn(item, ","), ITEM_SHOWN, true);
			snprintf(err, errlen, "'%s': %s", shown, why);
			return -1;
		}
		if (range_list_add(l, r.start, r.last)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		p = *q ? q + 1 : q;
		if (*q && !*p) {
			snprintf(err, errlen, "trailing ','");
			return -1;
		}
	}
	return 0;
}

/* The union of @l added to @out; 0 or -1 with a message. */
static int commit(struct range_list *l, struct iova_ranges *out, char *err, size_t errlen)
{
	int ret = iova_ranges_union(out, l->v, l->nr);

	range_list_free(l);
	if (ret)
		snprintf(err, errlen, "out of memory");
	return ret ? -1 : 0;
}

int memmap_parse(const char *spec, struct iova_ranges *out, char *err, size_t errlen)
{
	struct range_list l = { NULL, 0, 0 };

	if (parse_spec(spec, &l, err, errlen)) {
		range_list_free(&l);
		return -1;
	}
	return commit(&l, out, err, errlen);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int memmap_parse_lines(const char *text, struct iova_ranges *out, char *err, size_t errlen)
{
	struct range_list l = { NULL, 0, 0 };
	const char *p = text;
	unsigned int line = 0;

	while (*p) {
		size_t len = strcspn(p, "\n"), skip = len + (p[len] == '\n');
		char *spec, msg[384];

		line++;
		while (len && blank(*p)) {
			p++;
			len--;
			skip--;
		}
		while (len && blank(p[len - 1]))
			len--;
		if (!len) {
			p += skip;
			continue;
		}
		spec = strndup(p, len);
		if (!spec) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (parse_spec(spec, &l, msg, sizeof(msg))) {
			snprintf(err, errlen, "line %u: %s", line, msg);
			free(spec);
			goto fail;
		}
		free(spec);
		p += skip;
	}
	if (!l.nr) {
		snprintf(err, errlen, "no memory map: every line is empty");
		return -1;
	}
	return commit(&l, out, err, errlen);
fail:
	range_list_free(&l);
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
