/*
 * test_ocppnet.c: the OCPP transport's pure parts: the CSMS url split
 * with the identity appended, percent-encoding, the basic-auth header,
 * the reconnection back-off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ocppnet.h"

static void
url_ok(const char *url, const char *id, int tls, const char *host, int port,
    const char *path, const char *hostport)
{
	struct ocppnet_url u;
	char	 why[96] = "";

	assert_int_equal(ocppnet_url_split(url, id, &u, why, sizeof(why)), 0);
	assert_int_equal(u.tls, tls);
	assert_string_equal(u.host, host);
	assert_int_equal(u.port, port);
	assert_string_equal(u.path, path);
	assert_string_equal(u.hostport, hostport);
}

static void
url_bad(const char *url, const char *id, const char *want)
{
	struct ocppnet_url u;
	char	 why[96] = "";

	assert_int_equal(ocppnet_url_split(url, id, &u, why, sizeof(why)), -1);
	assert_string_equal(why, want);
}

static void
test_url_split(void **state)
{
	(void)state;
	url_ok("ws://csms.example/ocpp/", "CP-01", 0, "csms.example", 80,
	    "/ocpp/CP-01", "csms.example:80");
	/* a path without its trailing slash gets one */
	url_ok("ws://csms.example/ocpp", "CP-01", 0, "csms.example", 80,
	    "/ocpp/CP-01", "csms.example:80");
	url_ok("ws://csms.example", "CP-01", 0, "csms.example", 80, "/CP-01",
	    "csms.example:80");
	url_ok("wss://127.0.0.1:8443/a/b/", "bay 1/ü", 1, "127.0.0.1", 8443,
	    "/a/b/bay%201%2F%C3%BC", "127.0.0.1:8443");
	url_ok("ws://[::1]:9000/ocpp/", "x", 0, "::1", 9000, "/ocpp/x",
	    "[::1]:9000");
	url_ok("wss://csms.example/", "CP", 1, "csms.example", 443, "/CP",
	    "csms.example:443");
}

static void
test_url_refused(void **state)
{
	(void)state;
	url_bad("http://csms.example/", "CP", "must start with ws:// or wss://");
	url_bad("", "CP", "must start with ws:// or wss://");
	url_bad("ws:///ocpp", "CP", "no host");
	url_bad("ws://csms example/", "CP", "no spaces or control characters");
	url_bad("ws://csms.example:0/", "CP", "bad port");
	url_bad("ws://csms.example:65536/", "CP", "bad port");
	url_bad("ws://csms.example:80x/", "CP", "bad port");
	url_bad("ws://csms.example:/", "CP", "bad port");
	url_bad("ws://user:pw@csms.example/", "CP",
	    "no user in the url (the password is a setting)");
	url_bad("ws://csms.example/ocpp?x=1", "CP", "no query or fragment");
	url_bad("ws://[::1/ocpp", "CP", "unclosed [ in the host");
	url_bad("ws://[::1]x/", "CP", "bad host");
	url_bad("wss://[::1]:9000/", "CP",
	    "wss:// needs a host name or an IPv4 address");
	url_bad("ws://csms.example/", "",
	    "identity empty, too long or with control characters");
	url_bad("ws://csms.example/", "CP\n01",
	    "identity empty, too long or with control characters");
	/* the positive twin of each refusal is in test_url_split */
}

static void
test_pct_encode(void **state)
{
	char	 out[16];

	(void)state;
	assert_int_equal(ocppnet_pct_encode("Az09-._~", out, sizeof(out)), 0);
	assert_string_equal(out, "Az09-._~");
	assert_int_equal(ocppnet_pct_encode("a b%", out, sizeof(out)), 0);
	assert_string_equal(out, "a%20b%25");
	/* exactly fits: 15 characters and the NUL */
	assert_int_equal(ocppnet_pct_encode("abc%%%%", out, sizeof(out)), 0);
	assert_string_equal(out, "abc%25%25%25%25");
	assert_int_equal(ocppnet_pct_encode("abcd%%%%", out, sizeof(out)), -1);
	assert_int_equal(ocppnet_pct_encode("", out, sizeof(out)), -1);
	assert_int_equal(ocppnet_pct_encode("a\x7f", out, sizeof(out)), -1);
	assert_int_equal(ocppnet_pct_encode("a\tb", out, sizeof(out)), -1);
}

static void
test_basic_auth(void **state)
{
	char	 out[200];

	(void)state;
	/* RFC 7617, section 2: "Aladdin" / "open sesame" */
	assert_int_equal(ocppnet_basic_auth("Aladdin", "open sesame", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	/* a colon in the password is kept as it is */
	assert_int_equal(ocppnet_basic_auth("CP-01", "a:b", out, sizeof(out)),
	    0);
	assert_string_equal(out, "Basic Q1AtMDE6YTpi");
	assert_int_equal(ocppnet_basic_auth("CP-01", "a:b", out, 18), -1);
	assert_int_equal(ocppnet_basic_auth("CP-01", "a:b", out, 19), 0);
}

static void
test_backoff(void **state)
{
	static const uint64_t base[] = { 1000, 2000, 4000, 8000, 16000, 32000,
	    60000, 60000 };

	(void)state;
	for (int a = 0; a < 8; a++) {
		assert_int_equal(ocppnet_backoff_ms(a, 0), base[a]);
		/* at most a quarter less, never more */
		assert_int_equal(ocppnet_backoff_ms(a, (uint32_t)(base[a] / 4)),
		    base[a] - base[a] / 4);
		for (uint32_t r = 0; r < 5000; r += 7) {
			uint64_t ms = ocppnet_backoff_ms(a, r * 2654435761u);

			assert_true(ms <= base[a]);
			assert_true(ms >= base[a] - base[a] / 4);
		}
	}
	assert_int_equal(ocppnet_backoff_ms(-3, 0), 1000);
	assert_int_equal(ocppnet_backoff_ms(1000, 0), 60000);
	assert_int_equal(ocppnet_backoff_ms(31, UINT32_MAX),
	    60000 - UINT32_MAX % 15001);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_split),
		cmocka_unit_test(test_url_refused),
		cmocka_unit_test(test_pct_encode),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
