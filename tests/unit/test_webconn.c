/*
 * test_webconn.c: the web server's connection rules (master/webconn.c):
 * one address's share, the reserve for addresses holding few, and the
 * deadlines of a request's headers and body, each refusal with its
 * positive twin.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "webconn.h"

static struct webconn_addr
addr(int last)
{
	struct webconn_addr a = { { 0 } };

	a.b[10] = a.b[11] = 0xff;
	a.b[12] = 127;
	a.b[15] = (unsigned char)last;
	return a;
}

/* webconn_admit() where no room has to be made. */
static enum webconn_refusal
admit(struct webconn *t, const struct webconn_addr *a)
{
	int	 evict;
	enum webconn_refusal r = webconn_admit(t, a, &evict);

	assert_int_equal(evict, -1);
	return r;
}

/* One address may hold WEBCONN_PER_ADDR; another still gets in. */
static void
test_one_address_share(void **state)
{
	static struct webconn t;
	struct webconn_addr flood = addr(21), other = addr(2);

	(void)state;
	webconn_init(&t);
	for (int i = 0; i < WEBCONN_PER_ADDR; i++) {
		assert_int_equal(admit(&t, &flood), WC_OK);
		assert_true(webconn_open(&t, &flood, 100 + i, 0) >= 0);
	}
	assert_int_equal(admit(&t, &flood), WC_ADDR_LIMIT);
	assert_int_equal(admit(&t, &other), WC_OK);
	/* one closes: the address may open one again */
	webconn_close(&t, 0);
	assert_int_equal(webconn_held(&t, &flood), WEBCONN_PER_ADDR - 1);
	assert_int_equal(admit(&t, &flood), WC_OK);
}

/* Many addresses fill the server up to the reserve; then only addresses
 * holding fewer than WEBCONN_FEW get in, until it is full. */
static void
test_reserve_for_addresses_holding_few(void **state)
{
	static struct webconn t;
	int	 a = 30, n = 0;

	(void)state;
	webconn_init(&t);
	while (t.open < WEBCONN_MAX - WEBCONN_RESERVE) {
		struct webconn_addr fa = addr(a);

		assert_int_equal(admit(&t, &fa), WC_OK);
		webconn_open(&t, &fa, n++, 0);
		if (webconn_held(&t, &fa) == WEBCONN_PER_ADDR)
			a++;
	}
	struct webconn_addr busy = addr(a), fresh = addr(3);

	/* the address that holds some (>= few) is refused */
	while (webconn_held(&t, &busy) < WEBCONN_FEW)
		webconn_open(&t, &busy, n++, 0);
	assert_int_equal(admit(&t, &busy), WC_RESERVED);
	/* a fresh one gets in, up to WEBCONN_FEW */
	for (int i = 0; i < WEBCONN_FEW; i++) {
		assert_int_equal(admit(&t, &fresh), WC_OK);
		webconn_open(&t, &fresh, n++, 0);
	}
	assert_int_equal(admit(&t, &fresh), WC_RESERVED);
	/* up to full, the last ones from addresses holding few */
	for (int l = 100; t.open < WEBCONN_MAX; l++) {
		struct webconn_addr x = addr(l);

		assert_int_equal(admit(&t, &x), WC_OK);
		webconn_open(&t, &x, n++, (uint64_t)l);
	}
	/* full: an address holding few makes room by cutting the
	 * connection that has waited longest for its headers (not one
	 * being answered) ... */
	struct webconn_addr last = addr(250);
	int	 evict;

	webconn_phase(&t, 0, WC_ANSWER, 5);
	assert_int_equal(webconn_admit(&t, &last, &evict), WC_OK);
	assert_int_equal(evict, 1);	/* slot 1, opened at 0 */
	assert_int_equal(t.closing, 1);
	assert_true(webconn_open(&t, &last, n++, 300) >= 0);
	/* ... but an address holding many does not */
	assert_int_equal(admit(&t, &busy), WC_RESERVED);
	/* with every connection being answered, full is full */
	for (int i = 0; i < WEBCONN_SLOTS; i++)
		webconn_phase(&t, i, WC_ANSWER, 400);
	assert_int_equal(admit(&t, &fresh), WC_RESERVED);
	struct webconn_addr other = addr(251);

	assert_int_equal(admit(&t, &other), WC_FULL);
	/* the cut one closes: room again */
	webconn_close(&t, 1);
	assert_int_equal(t.closing, 0);
	assert_int_equal(admit(&t, &other), WC_FULL);	/* 256 live */
	webconn_close(&t, 2);
	assert_int_equal(admit(&t, &other), WC_OK);
}

/* Headers that trickle in are cut at their deadline however many bytes
 * came; a request answered in time is not, nor is a long answer (an event
 * stream); the next request on the connection gets a deadline anew. */
static void
test_deadlines(void **state)
{
	static struct webconn t;
	struct webconn_addr a = addr(21), b = addr(2);
	int	 fds[WEBCONN_MAX], slow, quick, body;

	(void)state;
	webconn_init(&t);
	slow = webconn_open(&t, &a, 7, 1000);
	quick = webconn_open(&t, &b, 8, 1000);
	body = webconn_open(&t, &b, 9, 1000);
	webconn_phase(&t, quick, WC_BODY, 1500);
	webconn_phase(&t, quick, WC_ANSWER, 1500);
	webconn_phase(&t, body, WC_BODY, 2000);
	assert_int_equal(webconn_overdue(&t, 1000 + WEBCONN_HEADERS_MS - 1,
	    fds, WEBCONN_MAX), 0);
	assert_int_equal(webconn_overdue(&t, 1000 + WEBCONN_HEADERS_MS, fds,
	    WEBCONN_MAX), 1);
	assert_int_equal(fds[0], 7);
	/* named once; a cut one stays cut */
	webconn_phase(&t, slow, WC_ANSWER, 20000);
	assert_int_equal(webconn_overdue(&t, 2000 + WEBCONN_BODY_MS - 1,
	    fds, WEBCONN_MAX), 0);
	assert_int_equal(webconn_overdue(&t, 2000 + WEBCONN_BODY_MS, fds,
	    WEBCONN_MAX), 1);
	assert_int_equal(fds[0], 9);
	/* the answered one, an hour later (a stream): still open */
	assert_int_equal(webconn_overdue(&t, 3600000, fds, WEBCONN_MAX), 0);
	/* its answer sent: the next request's headers have their deadline */
	webconn_phase(&t, quick, WC_HEADERS, 3600000);
	assert_int_equal(webconn_overdue(&t, 3600000 + WEBCONN_HEADERS_MS,
	    fds, WEBCONN_MAX), 1);
	assert_int_equal(fds[0], 8);
	assert_int_equal(t.cut, 3);
	webconn_close(&t, slow);
	webconn_close(&t, slow);	/* twice: no harm */
	assert_int_equal(t.open, 2);
}

/*
 * Property: any sequence of accepts (only when admitted, as the server
 * does), phases, closes and sweeps keeps the count right, never lets an
 * address hold more than its share, never names a socket twice, and a
 * fresh address is admitted whenever the server is not full.
 */
static void
test_property_random_traffic(void **state)
{
	static struct webconn t;
	unsigned seed = 12345;
	int	 fds[WEBCONN_SLOTS];
	bool	 was_cut[WEBCONN_SLOTS];
	uint64_t now = 0;

	(void)state;
	webconn_init(&t);
	for (int step = 0; step < 200000; step++) {
		int	 r, slot, n, open = 0, closing = 0;
		struct webconn_addr a;

		seed = seed * 1103515245u + 12345u;
		r = (int)((seed >> 8) % 100);
		a = addr(20 + (int)((seed >> 20) % 12));
		slot = (int)((seed >> 4) % WEBCONN_SLOTS);
		now += (seed >> 16) % 300;
		if (r < 45) {
			int	 evict;

			if (webconn_admit(&t, &a, &evict) == WC_OK) {
				slot = webconn_open(&t, &a, step, now);
				assert_true(slot >= 0);
			}
		} else if (r < 70)
			webconn_phase(&t, slot, (enum webconn_phase)(1 + r % 3),
			    now);
		else if (r < 95)
			webconn_close(&t, slot);
		else {
			/* each socket named is one just cut, once */
			for (int i = 0; i < WEBCONN_SLOTS; i++)
				was_cut[i] = t.slot[i].phase == WC_CUT;
			n = webconn_overdue(&t, now, fds, WEBCONN_SLOTS);
			for (int k = 0; k < n; k++) {
				int	 found = 0;

				for (int i = 0; i < WEBCONN_SLOTS; i++)
					if (t.slot[i].fd == fds[k] &&
					    t.slot[i].phase == WC_CUT &&
					    !was_cut[i])
						found++;
				assert_int_equal(found, 1);
			}
		}
		for (int i = 0; i < WEBCONN_SLOTS; i++) {
			open += t.slot[i].phase != WC_FREE;
			closing += t.slot[i].phase == WC_CUT;
		}
		assert_int_equal(open, t.open);
		assert_int_equal(closing, t.closing);
		assert_true(t.open - t.closing <= WEBCONN_MAX);
		assert_true(webconn_held(&t, &a) <= WEBCONN_PER_ADDR);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_address_share),
		cmocka_unit_test(test_reserve_for_addresses_holding_few),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_property_random_traffic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
