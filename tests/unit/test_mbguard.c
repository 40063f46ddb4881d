/*
 * test_mbguard.c: the charger's connection rules: who gets a slot, who
 * is refused, who makes room, who idles out. Each refusal next to the
 * same request that is taken.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mbguard.h"

#define N		8
#define MASTER		0x0100007fu	/* 127.0.0.1, network order */
#define OTHER(k)	(0x1500007fu + ((uint32_t)(k) << 24))	/* 127.0.0.21+k */

static void
fill(struct mbg_conn *tab, int i, uint32_t addr, bool master, uint64_t t)
{
	tab[i] = (struct mbg_conn){ true, master, addr, t };
}

static void
test_per_address_limit(void **state)
{
	struct mbg_conn tab[N];
	int	 slot = -1;

	(void)state;
	memset(tab, 0, sizeof(tab));
	for (int i = 0; i < MBG_PER_ADDR; i++) {
		assert_int_equal(mbguard_admit(tab, N, OTHER(0), false, &slot),
		    MBG_ACCEPT);
		assert_int_equal(slot, i);
		fill(tab, slot, OTHER(0), false, 100);
	}
	/* one more from that address: refused; from another: taken */
	assert_int_equal(mbguard_admit(tab, N, OTHER(0), false, &slot),
	    MBG_REFUSE_ADDR);
	assert_int_equal(mbguard_admit(tab, N, OTHER(1), false, &slot),
	    MBG_ACCEPT);
	assert_int_equal(slot, MBG_PER_ADDR);
	/* a master's address is never refused: beyond its own limit its
	 * quietest connection makes room, even with free slots left */
	fill(tab, 3, MASTER, true, 300);
	fill(tab, 4, MASTER, true, 200);
	assert_int_equal(mbguard_admit(tab, N, MASTER, true, &slot),
	    MBG_EVICT);
	assert_int_equal(slot, 4);
	/* positive twin: below it, a free slot */
	memset(&tab[4], 0, sizeof(tab[0]));
	assert_int_equal(mbguard_admit(tab, N, MASTER, true, &slot),
	    MBG_ACCEPT);
	assert_int_equal(slot, MBG_PER_ADDR + 0);	/* the first free */
}

/* Two masters: one that opens every slot it can never shuts the other
 * out (audit of issue 17, F8). */
static void
test_master_cannot_take_anothers_slots(void **state)
{
	struct mbg_conn tab[N];
	uint32_t second = MASTER + (1u << 24);	/* 127.0.0.2 */
	int	 slot = -1;
	enum mbg_verdict v;

	(void)state;
	memset(tab, 0, sizeof(tab));
	/* eight connections from the second master, one after another */
	for (int k = 0; k < N; k++) {
		v = mbguard_admit(tab, N, second, true, &slot);
		assert_int_equal(v, k < MBG_MASTER_PER_ADDR ? MBG_ACCEPT :
		    MBG_EVICT);
		fill(tab, slot, second, true, 100 + (uint64_t)k);
	}
	/* it holds two, the newest; the first master gets a free slot */
	for (int i = 0, k = 0; i < N; i++) {
		k += tab[i].used;
		if (i == N - 1)
			assert_int_equal(k, MBG_MASTER_PER_ADDR);
	}
	assert_int_equal(mbguard_admit(tab, N, MASTER, true, &slot),
	    MBG_ACCEPT);
	/* Every slot held by masters, two each: one that holds none makes
	 * room in place of the quietest of those; one that holds one cycles
	 * its own. */
	for (int i = 0; i < N; i++)
		fill(tab, i, MASTER + ((uint32_t)(i / 2) << 24), true,
		    1000 + (uint64_t)i);
	fill(tab, 5, MASTER + (2u << 24), true, 10);
	assert_int_equal(mbguard_admit(tab, N, MASTER + (7u << 24), true,
	    &slot), MBG_EVICT);
	assert_int_equal(slot, 5);
	fill(tab, 5, MASTER + (7u << 24), true, 2000);
	assert_int_equal(mbguard_admit(tab, N, MASTER + (7u << 24), true,
	    &slot), MBG_EVICT);
	assert_int_equal(slot, 5);
	/* an address that is no master's gets nothing of theirs */
	assert_int_equal(mbguard_admit(tab, N, OTHER(0), false, &slot),
	    MBG_REFUSE_FULL);
}

static void
test_full_master_makes_room(void **state)
{
	struct mbg_conn tab[N];
	int	 slot = -1;

	(void)state;
	/* Every slot taken by others (two each from four addresses). */
	for (int i = 0; i < N; i++)
		fill(tab, i, OTHER(i / 2), false, 1000 + (uint64_t)i);
	fill(tab, 5, OTHER(2), false, 10);	/* quiet longest */
	assert_int_equal(mbguard_admit(tab, N, OTHER(7), false, &slot),
	    MBG_REFUSE_FULL);
	assert_int_equal(mbguard_admit(tab, N, MASTER, true, &slot),
	    MBG_EVICT);
	assert_int_equal(slot, 5);
	/* At its own limit (one of the two half-open, lost) its quietest
	 * makes room, not another's; below it, in a full table, the
	 * others' quietest. */
	fill(tab, 0, MASTER, true, 1);
	fill(tab, 1, MASTER, true, 2);
	assert_int_equal(mbguard_admit(tab, N, MASTER, true, &slot),
	    MBG_EVICT);
	assert_int_equal(slot, 0);
	fill(tab, 0, MASTER, true, 3);
	fill(tab, 1, MASTER + (1u << 24), true, 2);
	assert_int_equal(mbguard_admit(tab, N, MASTER, true, &slot),
	    MBG_EVICT);
	assert_int_equal(slot, 5);
}

static void
test_idle(void **state)
{
	struct mbg_conn c = { true, false, OTHER(0), 1000 };
	struct mbg_conn m = { true, true, MASTER, 1000 };
	struct mbg_conn unused = { false, false, 0, 0 };

	(void)state;
	assert_false(mbguard_idle(&c, 1000 + MBG_IDLE_MS - 1));
	assert_true(mbguard_idle(&c, 1000 + MBG_IDLE_MS));
	assert_false(mbguard_idle(&m, 1000 + 100 * MBG_IDLE_MS));
	assert_false(mbguard_idle(&unused, 1000 + MBG_IDLE_MS));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_address_limit),
		cmocka_unit_test(test_full_master_makes_room),
		cmocka_unit_test(test_master_cannot_take_anothers_slots),
		cmocka_unit_test(test_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
