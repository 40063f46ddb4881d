/*
 * text.c: UTF-8 that is cut only between characters, and texts from
 * outside escaped for logs, events and terminals (issue 17, items 7, 8).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

/* What u8_next found at the start of a string. */
enum u8_kind {
	U8_CHAR,	/* a whole valid character */
	U8_INVALID,	/* not UTF-8: its maximal subpart is to be replaced */
	U8_CUT,		/* a valid beginning that the string's end cut short */
};

/*
 * The sequence at s[0..n), n > 0: its kind, its length in *len and, for
 * a character, its code point in *cp. The well-formed sequences are those
 * of Unicode 15, table 3-7 (RFC 3629 section 4): no overlong forms, no
 * surrogates (ED A0-BF), nothing above U+10FFFF (F4 90-, F5-FF). An
 * invalid one spans its maximal subpart (Unicode 3.9, "U+FFFD
 * substitution of maximal subparts"): the lead byte and the continuation
 * bytes that were still possible, at least one byte.
 */
static enum u8_kind
u8_next(const unsigned char *s, size_t n, size_t *len, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t	 need;
	uint32_t c;

	if (s[0] < 0x80) {
		*len = 1;
		*cp = s[0];
		return U8_CHAR;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		*len = 1;	/* a continuation byte, C0, C1, F5-FF */
		return U8_INVALID;
	}
	for (size_t i = 1; i < need; i++) {
		if (i == n) {
			*len = i;
			return U8_CUT;
		}
		if (s[i] < lo || s[i] > hi) {
			*len = i;
			return U8_INVALID;
		}
		c = c << 6 | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*len = need;
	*cp = c;
	return U8_CHAR;
}

size_t
utf8_trunc(const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t	 n = strlen(str), o = 0, l;
	uint32_t cp;

	while (o < n) {
		if (u8_next(s + o, n - o, &l, &cp) == U8_CUT || o + l > max)
			break;
		o += l;
	}
	return o;
}

/* Whether code point cp is shown escaped (see text.h). */
static int
escaped(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t
utf8_char(const char *s, size_t n)
{
	size_t	 l;
	uint32_t cp;

	return u8_next((const unsigned char *)s, n, &l, &cp) == U8_CHAR ? l :
	    0;
}

bool
text_is_plain(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t	 n = strlen(str), o = 0, l;
	uint32_t cp;

	while (o < n) {
		if (u8_next(s + o, n - o, &l, &cp) != U8_CHAR || escaped(cp))
			return false;
		o += l;
	}
	return true;
}

size_t
text_escape(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t	 n = strlen(src), o = 0, l, plen;
	char	 piece[8];
	uint32_t cp = 0;

	if (len == 0)
		return 0;
	while (n > 0) {
		if (u8_next(s, n, &l, &cp) != U8_CHAR) {
			memcpy(piece, "\xef\xbf\xbd", 3);	/* U+FFFD */
			plen = 3;
		} else if (!escaped(cp)) {
			memcpy(piece, s, l);
			plen = l;
		} else if (cp == '\t' || cp == '\n' || cp == '\r') {
			piece[0] = '\\';
			piece[1] = cp == '\t' ? 't' : cp == '\n' ? 'n' : 'r';
			plen = 2;
		} else {
			plen = (size_t)snprintf(piece, sizeof(piece), cp < 0x80 ?
			    "\\x%02x" : "\\u%04x", (unsigned)cp);
		}
		if (o + plen >= len)
			break;
		memcpy(dst + o, piece, plen);
		o += plen;
		s += l;
		n -= l;
	}
	dst[o] = '\0';
	return o;
}
