/*
 * test_text.c: shared/text.c alone: texts from outside escaped for logs,
 * events and terminals, and UTF-8 cut only between characters. Examples,
 * then 200,000 random byte strings against a validator written apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static const char *
esc(const char *s, size_t len)
{
	static char buf[512];
	size_t	 n;

	assert_true(len <= sizeof(buf));
	n = text_escape(buf, len, s);
	assert_int_equal(n, strlen(buf));
	return buf;
}

static void
test_controls_escaped(void **state)
{
	(void)state;
	/* issue 17, item 7: the forged log line stays on its own line */
	assert_string_equal(esc("x\n1.000 evgroup-master: FORGED", 512),
	    "x\\n1.000 evgroup-master: FORGED");
	assert_string_equal(esc("a\tb\rc", 512), "a\\tb\\rc");
	assert_string_equal(esc("\x1b[2J\x07\x7f\x01", 512),
	    "\\x1b[2J\\x07\\x7f\\x01");
	/* C1 CSI, NEL, the line separator, a right-to-left override */
	assert_string_equal(esc("a\xc2\x9b" "31m\xc2\x85z", 512),
	    "a\\u009b31m\\u0085z");
	assert_string_equal(esc("a\xe2\x80\xa8" "b\xe2\x80\xae" "c\xe2\x81\xa6",
	    512), "a\\u2028b\\u202ec\\u2066");
	/* the bidirectional marks: right-to-left, left-to-right, Arabic */
	assert_string_equal(esc("bay\xe2\x80\x8f" "1\xe2\x80\x8e" "2\xd8\x9c",
	    512), "bay\\u200f1\\u200e2\\u061c");
	/* the positive twin: letters of every script, and backslashes, stay */
	assert_string_equal(esc("zoé Müller Søren 日本 🚗 C:\\x", 512),
	    "zoé Müller Søren 日本 🚗 C:\\x");
	assert_string_equal(esc("\xc2\xa0\xe2\x80\x94\xe2\x80\xaf", 512),
	    "\xc2\xa0\xe2\x80\x94\xe2\x80\xaf");	/* NBSP, em dash */
	assert_string_equal(esc("", 512), "");
}

static void
test_invalid_replaced(void **state)
{
	(void)state;
	assert_string_equal(esc("ab\xc3", 512), "ab\xef\xbf\xbd");	/* cut */
	assert_string_equal(esc("a\xe2\x82X", 512), "a\xef\xbf\xbdX");
	assert_string_equal(esc("\xff\xfe", 512),
	    "\xef\xbf\xbd\xef\xbf\xbd");
	/* overlong '/', a surrogate, above U+10FFFF: one U+FFFD a byte */
	assert_string_equal(esc("\xc0\xaf", 512), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(esc("\xed\xa0\x80", 512),
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(esc("\xf4\x90\x80\x80", 512),
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* a lone continuation byte between letters */
	assert_string_equal(esc("é\xa9é", 512), "é\xef\xbf\xbdé");
}

static void
test_truncated_whole(void **state)
{
	(void)state;
	assert_string_equal(esc("aéb", 4), "aé");
	assert_string_equal(esc("aéb", 3), "a");
	assert_string_equal(esc("aé", 2), "a");
	assert_string_equal(esc("\n", 3), "\\n");
	assert_string_equal(esc("a\n", 3), "a");	/* not "a\" */
	assert_string_equal(esc("\x1b", 4), "");	/* \x1b is 4 */
	assert_string_equal(esc("🚗", 4), "");
	assert_string_equal(esc("🚗", 5), "🚗");
	assert_string_equal(esc("abc", 1), "");
}

static void
test_utf8_trunc(void **state)
{
	(void)state;
	assert_int_equal(utf8_trunc("xéé", 2), 1);
	assert_int_equal(utf8_trunc("xéé", 3), 3);
	assert_int_equal(utf8_trunc("xéé", 4), 3);
	assert_int_equal(utf8_trunc("xéé", 99), 5);
	assert_int_equal(utf8_trunc("🚗", 3), 0);
	assert_int_equal(utf8_trunc("", 3), 0);
	assert_int_equal(utf8_trunc("abc", 0), 0);
	/* a character that vsnprintf cut at the end is left out */
	assert_int_equal(utf8_trunc("ab\xe2\x82", 99), 2);
	assert_int_equal(utf8_trunc("ab\xf0\x9f\x9a", 99), 2);
	/* invalid bytes are characters of their own */
	assert_int_equal(utf8_trunc("a\xff" "b", 2), 2);
	assert_int_equal(utf8_trunc("a\xe2\x82X", 3), 3);
}

/* --- properties ------------------------------------------------------- */

/* Valid UTF-8 by the definition (RFC 3629): decode, then reject
 * overlong forms, surrogates and code points above U+10FFFF. Calls fn
 * with each code point. */
static int
valid_utf8(const unsigned char *s, size_t n, void (*fn)(uint32_t))
{
	for (size_t i = 0; i < n;) {
		uint32_t c = s[i];
		size_t	 k = c < 0x80 ? 1 : c >> 5 == 6 ? 2 : c >> 4 == 14 ? 3 :
		    c >> 3 == 30 ? 4 : 0;
		static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };

		if (k == 0 || i + k > n)
			return 0;
		if (k > 1)
			c &= 0x7f >> k;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + j] & 0x3f);
		}
		if (c < min[k] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return 0;
		if (fn != NULL)
			fn(c);
		i += k;
	}
	return 1;
}

static void
no_control(uint32_t c)
{
	assert_false(c < 0x20 || (c >= 0x7f && c <= 0x9f));
	assert_false(c == 0x2028 || c == 0x2029);
	assert_false((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 &&
	    c <= 0x2069));
	assert_false(c == 0x061c || c == 0x200e || c == 0x200f);
}

static int seen_control;

static void
note_control(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x2028 &&
	    c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
		seen_control = 1;
}

/* A random byte string without NUL, weighted towards what breaks: the
 * bytes of controls, of cut and valid sequences, of separators. */
static size_t
random_text(unsigned char *b, size_t cap)
{
	static const char *const bits[] = { "\n", "\r", "\t", "\x1b", "\x7f",
	    "\xc2\x85", "\xc2\x9b", "\xc3\xa9", "\xc3", "\xa9", "\xe2\x80\xa8",
	    "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x82", "\xe2\x82\xac",
	    "\xf0\x9f\x9a\x97", "\xf0\x9f\x9a", "\xed\xa0\x80", "\xc0\xaf",
	    "\xf4\x90\x80\x80", "\xef\xbf\xbd", "\\", "\\n", "a", "Z" };
	size_t	 n = 0, want = (size_t)rand() % cap;

	while (n < want) {
		if (rand() % 3 == 0) {
			b[n++] = (unsigned char)(1 + rand() % 255);
		} else {
			const char *p = bits[rand() % (sizeof(bits) /
			    sizeof(bits[0]))];
			size_t	 l = strlen(p);

			if (n + l > want)
				break;
			memcpy(b + n, p, l);
			n += l;
		}
	}
	b[n] = '\0';
	return n;
}

static void
test_any_bytes_in_safe_text_out(void **state)
{
	unsigned char src[80];
	char	 full[400], cut[400], again[400];

	(void)state;
	srand(17);
	for (int i = 0; i < 200000; i++) {
		size_t	 n = random_text(src, sizeof(src) - 1);
		size_t	 len = 1 + (size_t)rand() % 64;
		size_t	 fl = text_escape(full, sizeof(full), (char *)src);
		size_t	 cl = text_escape(cut, len, (char *)src);
		size_t	 t = utf8_trunc((char *)src, len);

		/* never longer than the buffer; NUL-terminated */
		assert_true(cl < len);
		assert_int_equal(strlen(cut), cl);
		/* valid UTF-8 with no control character */
		assert_true(valid_utf8((unsigned char *)cut, cl, no_control));
		assert_true(valid_utf8((unsigned char *)full, fl, no_control));
		/* at most 4 bytes out for one in: a big buffer holds it all */
		assert_true(fl <= 4 * n);
		/* the cut one is the whole one cut between pieces */
		assert_memory_equal(cut, full, cl);
		assert_true(cl == fl || len - cl <= 6);
		/* idempotent: escaping it again changes nothing */
		text_escape(again, sizeof(again), full);
		assert_string_equal(again, full);
		/* valid text without controls comes out as it went in */
		seen_control = 0;
		if (valid_utf8(src, n, note_control) && !seen_control)
			assert_string_equal(full, (char *)src);
		/* utf8_trunc: within max, and a valid text cut there is valid
		 * (the cut never splits a character) and the longest such */
		assert_true(t <= len && t <= n);
		if (valid_utf8(src, n, NULL)) {
			assert_true(valid_utf8(src, t, NULL));
			for (size_t k = t + 1; k <= len && k <= n; k++)
				assert_true(k < n && (src[k] & 0xc0) == 0x80);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_invalid_replaced),
		cmocka_unit_test(test_truncated_whole),
		cmocka_unit_test(test_utf8_trunc),
		cmocka_unit_test(test_any_bytes_in_safe_text_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
