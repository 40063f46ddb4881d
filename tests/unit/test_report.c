/*
 * test_report.c: master/report.c alone: what a commissioning report may
 * hold (each refusal with its positive twin), the report the master
 * makes of it, and its printable page: hostile texts escaped, and a
 * property test over 3,000 reports of random texts that none breaks
 * out of its element or attribute.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "report.h"
#include "text.h"

static json_t *
config(void)
{
	return json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}}",
	    "site", "name", "Car park B", "site_limit", "100.0",
	    "charger1", "name", "bay-001", "phase1", "L1L2L3",
	    "charger2", "name", "bay-002", "phase1", "L2L3L1");
}

/* A good report body: every kind of step. */
static json_t *
good(void)
{
	return json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:{s:s, s:f}}, "
	    "{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s}]}",
	    "installer", "Zoë Électricienne", "notes", "Clamps checked.\nAll "
	    "good.",
	    "steps",
	    "step", "site", "status", "pass", "text", "Fuse 100 A, margin 2 A.",
	    "figures", "site limit", "100.0 A", "margin", 2.0,
	    "step", "charger-test", "status", "pass", "text", "answers",
	    "charger", "bay-001",
	    "step", "phase-rotation", "status", "skipped", "text",
	    "phase check not available", "charger", "bay-002", "connector", 1,
	    "step", "fallback", "status", "warn", "text", "6 A x 2 = 12 A");
}

/* Checks body; returns the field at fault ("" when taken). */
static const char *
check(json_t *body)
{
	static char field[64];
	char	 err[300];
	json_t	*cfg = config();
	int	 rc = report_check(body, cfg, err, sizeof(err), field,
	    sizeof(field));

	json_decref(cfg);
	json_decref(body);
	assert_int_equal(rc == 0, field[0] == '\0');
	if (rc != 0)
		assert_non_null(strstr(err, field));	/* names it */
	return field;
}

/* good() with one member of step i set (v NULL: removed). */
static json_t *
with_step(int i, const char *k, json_t *v)
{
	json_t	*b = good(), *st = json_array_get(json_object_get(b, "steps"),
	    (size_t)i);

	if (v == NULL)
		json_object_del(st, k);
	else
		json_object_set_new(st, k, v);
	return b;
}

static json_t *
with(const char *k, json_t *v)
{
	json_t	*b = good();

	json_object_set_new(b, k, v);
	return b;
}

static void
test_check_refuses_and_takes(void **state)
{
	json_t	*big;

	(void)state;
	assert_string_equal(check(good()), "");
	assert_string_equal(check(json_pack("{s:[]}", "steps")), "");
	assert_string_equal(check(with("admin", json_true())), "admin");
	assert_string_equal(check(json_object()), "steps");
	assert_string_equal(check(with("steps", json_string("x"))), "steps");
	/* the installer: plain, 1-64 bytes */
	assert_string_equal(check(with("installer", json_string(""))),
	    "installer");
	assert_string_equal(check(with("installer", json_string("a\x1b[2J"))),
	    "installer");
	assert_string_equal(check(with("installer", json_string("a\nb"))),
	    "installer");
	assert_string_equal(check(with("installer", json_integer(3))),
	    "installer");
	assert_string_equal(check(with("installer", json_stringn("a\0b", 3))),
	    "installer");
	assert_string_equal(check(with("installer", json_string(
	    "<b>Zoë & \"Jo\"</b>"))), "");	/* plain, escaped on output */
	/* notes: lines and tabs, not other controls; at most 4000 bytes */
	assert_string_equal(check(with("notes", json_string("a\r\n\tb"))), "");
	assert_string_equal(check(with("notes", json_string("a\x07"))),
	    "notes");
	assert_string_equal(check(with("notes", json_string("a\xe2\x80\xae"
	    "b"))), "notes");			/* a right-to-left override */
	big = json_string("");
	{
		char	*s = malloc(REPORT_NOTES_MAX + 2);

		memset(s, 'x', REPORT_NOTES_MAX + 1);
		s[REPORT_NOTES_MAX + 1] = '\0';
		assert_string_equal(check(with("notes", json_string(s))),
		    "notes");
		s[REPORT_NOTES_MAX] = '\0';
		assert_string_equal(check(with("notes", json_string(s))), "");
		free(s);
	}
	json_decref(big);
	/* steps: names, statuses, texts */
	assert_string_equal(check(with_step(0, "step", json_string("wiring"))),
	    "steps[0].step");
	assert_string_equal(check(with_step(0, "status", json_string("ok"))),
	    "steps[0].status");
	assert_string_equal(check(with_step(0, "text", json_string(""))),
	    "steps[0].text");
	assert_string_equal(check(with_step(0, "text", NULL)),
	    "steps[0].text");
	assert_string_equal(check(with_step(0, "colour", json_string("red"))),
	    "steps[0].colour");
	assert_string_equal(check(with_step(1, "charger", json_string(
	    "bay-009"))), "steps[1].charger");
	assert_string_equal(check(with_step(1, "charger", NULL)),
	    "steps[1].charger");
	assert_string_equal(check(with_step(0, "charger", json_string(
	    "bay-001"))), "steps[0].charger");
	assert_string_equal(check(with_step(2, "connector", json_integer(3))),
	    "steps[2].connector");
	assert_string_equal(check(with_step(2, "connector", NULL)),
	    "steps[2].connector");
	assert_string_equal(check(with_step(2, "connector", json_integer(2))),
	    "");
	assert_string_equal(check(with_step(1, "connector", json_integer(1))),
	    "steps[1].connector");
	/* figures: at most 16, named in plain text */
	assert_string_equal(check(with_step(0, "figures", json_pack("{s:s}",
	    "a\x1b", "1"))), "steps[0].figures");
	assert_string_equal(check(with_step(0, "figures", json_pack("{s:s}",
	    "a", "1\n2"))), "steps[0].figures.a");
	assert_string_equal(check(with_step(0, "figures", json_pack("{s:[]}",
	    "a"))), "steps[0].figures.a");
	assert_string_equal(check(with_step(0, "figures", json_string("x"))),
	    "steps[0].figures");
	{
		json_t	*f = json_object();
		char	 k[16];

		for (int i = 0; i < REPORT_FIGURES_MAX + 1; i++) {
			snprintf(k, sizeof(k), "f%d", i);
			json_object_set_new(f, k, json_integer(i));
		}
		assert_string_equal(check(with_step(0, "figures",
		    json_deep_copy(f))), "steps[0].figures");
		json_object_del(f, "f0");
		assert_string_equal(check(with_step(0, "figures", f)), "");
	}
}

static void
test_make_takes_the_masters_state(void **state)
{
	json_t	*in = with("notes", json_string("a\r\nb\tc")), *cfg = config();
	json_t	*pend = json_array(), *al = json_pack("[{s:s}]", "text", "x");
	struct report_meta m = { "olivia", 1795245826000LL,
	    "2026-11-26 22:30 UTC", "2026-11-26", "0.1.0" };
	json_t	*r = report_make(in, &m, cfg, pend, al, 3);
	char	 name[96];

	(void)state;
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "site")),
	    "Car park B");
	assert_string_equal(json_string_value(json_object_get(r,
	    "installer")), "Zoë Électricienne");
	assert_string_equal(json_string_value(json_object_get(r, "saved_by")),
	    "olivia");
	assert_string_equal(json_string_value(json_object_get(r, "notes")),
	    "a\nb c");
	assert_true(json_equal(json_object_get(r, "config"), cfg));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r,
	    "counts"), "pass")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r,
	    "counts"), "skipped")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "alarms_total")),
	    3);
	report_filename(r, name, sizeof(name));
	assert_string_equal(name, "commissioning-Car-park-B-2026-11-26.html");
	json_decref(r);
	/* no installer named: the login that saves it */
	json_object_del(in, "installer");
	r = report_make(in, &m, cfg, pend, al, 1);
	assert_string_equal(json_string_value(json_object_get(r,
	    "installer")), "olivia");
	json_decref(r);
	json_decref(in);
	json_decref(cfg);
	json_decref(pend);
	json_decref(al);
}

/* --- the page -------------------------------------------------------------- */

/*
 * Every '<' of the page opens a tag that closes at the next '>' and
 * holds no quote but its attributes' own; between tags there is no '<',
 * '>', '"' or '\'' and every '&' starts one of the five entities the
 * escaper writes; the whole is valid UTF-8 without a control character
 * but line feeds. Returns the number of tags.
 */
static int
well_formed(const char *p, size_t len)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;",
	    "&#39;", NULL };
	int	 tags = 0;

	for (size_t i = 0; i < len;) {
		size_t	 l;

		if (p[i] == '<') {
			const char *e = memchr(p + i, '>', len - i);

			assert_non_null(e);
			assert_null(memchr(p + i + 1, '<', (size_t)(e - p) -
			    i - 1));
			tags++;
			i = (size_t)(e - p) + 1;
			continue;
		}
		assert_false(p[i] == '>' || p[i] == '"' || p[i] == '\'');
		if (p[i] == '&') {
			int	 k;

			for (k = 0; ent[k] && strncmp(p + i, ent[k],
			    strlen(ent[k])) != 0; k++)
				;
			assert_non_null(ent[k]);
		}
		l = utf8_char(p + i, len - i);
		assert_true(l > 0);
		assert_true(p[i] == '\n' || (unsigned char)p[i] >= 0x20);
		i += l;
	}
	return tags;
}

static void
test_hostile_texts_escaped(void **state)
{
	json_t	*in = with("notes", json_string("</div><script>alert(1)"
	    "</script>\n<img src=x onerror=alert(2)> & \"q\" 'a'"));
	json_t	*cfg = config(), *al = json_array(), *r;
	json_t	*pend = json_pack("[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s}]",
	    "setting", "site.poll_period", "words", "charger poll period",
	    "in_force", "1000", "after_restart", "700", "setting",
	    "site.margin", "in_force", "2.0", "after_restart", "3.0");
	struct report_meta m = { "olivia", 1, "d", "2026-11-26", "0.1.0" };
	size_t	 len;
	char	*page;

	(void)state;
	json_object_set_new(json_object_get(cfg, "site"), "name",
	    json_string("\"><script>x</script>"));
	r = report_make(in, &m, cfg, pend, al, 0);
	page = report_html(r, 7, &len);
	assert_non_null(page);
	assert_int_equal(strlen(page), len);
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "<img"));
	assert_non_null(strstr(page, "&lt;/div&gt;&lt;script&gt;alert(1)"
	    "&lt;/script&gt;\n&lt;img src=x onerror=alert(2)&gt; &amp; "
	    "&quot;q&quot; &#39;a&#39;"));
	assert_non_null(strstr(page, "<title>Commissioning report: &quot;&gt;"
	    "&lt;script&gt;"));
	/* the positive twin: what it should show, it shows */
	assert_non_null(strstr(page, "<td>Zoë Électricienne</td>"));
	assert_non_null(strstr(page, "<td>bay-002 connector 1</td>"));
	assert_non_null(strstr(page, "<tr class=\"skipped\">"));
	assert_non_null(strstr(page, "@media print"));
	assert_non_null(strstr(page, "<li>margin: 2.0</li>"));
	assert_non_null(strstr(page, "<li>charger poll period: 1000 now, 700 "
	    "after the restart</li>"));
	/* a report saved before the words: the key */
	assert_non_null(strstr(page, "<li>site.margin: 2.0 now, 3.0 after the "
	    "restart</li>"));
	well_formed(page, len);
	free(page);
	json_decref(r);
	json_decref(in);
	json_decref(cfg);
	json_decref(pend);
	json_decref(al);
}

/* The texts' own random numbers (xorshift32), apart from the shape's
 * (rand()): a report of placeholders has the random one's shape. */
static uint32_t trng = 2463534242u;

static int
trand(void)
{
	trng ^= trng << 13;
	trng ^= trng >> 17;
	trng ^= trng << 5;
	return (int)(trng & 0x7fffffff);
}

/* A random text, weighted towards what breaks HTML and terminals, with
 * bytes that are not UTF-8; never NUL. */
static void
random_text(char *b, size_t cap)
{
	static const char *const bits[] = { "<", ">", "&", "\"", "'", "</td>",
	    "<script>", "&amp;", "&#", "\n", "\r", "\x1b[2J", "=", "/", " ",
	    "é", "\xe2\x80\xae", "\xc2\x9b", "\xff", "\xc3", "a", "]]>", "-->",
	    "`" };
	size_t	 n = 0, want = (size_t)trand() % cap;

	while (n < want) {
		const char *p = bits[trand() % (int)(sizeof(bits) /
		    sizeof(bits[0]))];
		char	 one[2] = { (char)(1 + trand() % 255), 0 };

		if (trand() % 4 == 0)
			p = one;
		if (n + strlen(p) >= cap)
			break;
		memcpy(b + n, p, strlen(p));
		n += strlen(p);
	}
	b[n] = '\0';
}

/* The next text of a report: random, or a placeholder of the same
 * report's shape. */
static json_t *
text_of(int mode, int *k)
{
	char	 b[200];

	if (mode)
		snprintf(b, sizeof(b), "p%d", (*k)++);
	else
		random_text(b, sizeof(b));
	/* as if read back from a damaged row: not even checked UTF-8 */
	return json_string_nocheck(b);
}

static const char *
key_of(int mode, int *k, char *b, size_t len)
{
	if (mode)
		snprintf(b, len, "p%d", (*k)++);
	else {
		random_text(b, len - 12);
		/* unique; room for any int, so that gcc -O3 sees no cut */
		snprintf(b + strlen(b), 12, "#%d", (*k)++);
	}
	return b;
}

/* A report of a random shape (seeded), its texts random or not. */
static json_t *
random_report(unsigned seed, int mode)
{
	static const char *const names[] = { "site", "meter", "clamps",
	    "charger-test", "phase-rotation", "alarms", "nonsense" };
	static const char *const st[] = { "pass", "warn", "fail", "skipped",
	    "bogus" };
	json_t	*r = json_object(), *steps = json_array(), *cfg = json_object();
	json_t	*al = json_array(), *pend = json_array();
	char	 kb[200];
	int	 k = 0, n;

	srand(seed);
	for (const char *f = "site\0date\0day\0installer\0saved_by\0version\0"
	    "notes\0"; *f; f += strlen(f) + 1)
		json_object_set_new(r, f, text_of(mode, &k));
	for (n = rand() % 6; n > 0; n--) {
		json_t	*s = json_object(), *fig = json_object();

		json_object_set_new(s, "step", json_string(names[rand() % 7]));
		json_object_set_new(s, "status", json_string(st[rand() % 5]));
		json_object_set_new(s, "text", text_of(mode, &k));
		if (rand() % 2)
			json_object_set_new(s, "charger", text_of(mode, &k));
		if (rand() % 3 == 0)
			json_object_set_new(s, "connector", json_integer(1));
		for (int f = rand() % 3; f > 0; f--)
			json_object_set_new_nocheck(fig, key_of(mode, &k, kb,
			    sizeof(kb)), rand() % 2 ? json_integer(rand()) :
			    text_of(mode, &k));
		json_object_set_new(s, "figures", fig);
		json_array_append_new(steps, s);
	}
	for (n = rand() % 4; n > 0; n--) {
		json_t	*sec = json_object();

		for (int i = rand() % 4; i > 0; i--)
			json_object_set_new_nocheck(sec, key_of(mode, &k, kb,
			    sizeof(kb)), text_of(mode, &k));
		json_object_set_new_nocheck(cfg, n == 1 ? "site" : key_of(mode,
		    &k, kb, sizeof(kb)), sec);
	}
	for (n = rand() % 3; n > 0; n--)
		json_array_append_new(al, json_pack("{s:o}", "text",
		    text_of(mode, &k)));
	for (n = rand() % 3; n > 0; n--)
		json_array_append_new(pend, json_pack("{s:o, s:o, s:o}",
		    "setting", text_of(mode, &k), "in_force", text_of(mode, &k),
		    "after_restart", text_of(mode, &k)));
	json_object_set_new(r, "steps", steps);
	json_object_set_new(r, "config", cfg);
	json_object_set_new(r, "alarms", al);
	json_object_set_new(r, "pending", pend);
	json_object_set_new(r, "alarms_total", json_integer(rand() % 40));
	json_object_set_new(r, "counts", json_pack("{s:i}", "pass", 1));
	return r;
}

static int
tags_of(unsigned seed, int mode)
{
	json_t	*r = random_report(seed, mode);
	size_t	 len;
	char	*page = report_html(r, seed, &len), name[96];
	int	 tags;

	assert_non_null(page);
	tags = well_formed(page, len);
	report_filename(r, name, sizeof(name));
	assert_true(strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	    "QRSTUVWXYZ0123456789-_.") == strlen(name));
	free(page);
	json_decref(r);
	return tags;
}

/* Random texts make the same elements as plain placeholders: none
 * opens, closes or breaks out of one. */
static void
test_random_texts_never_break_out(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 3000; seed++)
		assert_int_equal(tags_of(seed, 0), tags_of(seed, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_refuses_and_takes),
		cmocka_unit_test(test_make_takes_the_masters_state),
		cmocka_unit_test(test_hostile_texts_escaped),
		cmocka_unit_test(test_random_texts_never_break_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
