/*
 * fuzz_ocppprof.c: libFuzzer on the CSMS's Smart Charging requests
 * (master/ocppprof.c): whatever the CSMS sends, nothing crashes, the
 * profiles stay within their bounds, every cap is a current or none,
 * and what is kept saves and loads back the same.
 * Input: byte 0 picks the action (SetChargingProfile,
 * ClearChargingProfile, GetCompositeSchedule, or the store's load) and
 * the transaction; the rest is the request's JSON.
 *   build/clang/tests/fuzz_ocppprof -runs=N tests/fuzz/corpus_ocppprof
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocppprof.h"

#define T0	1795737600000LL	/* 2026-11-27T00:00:00Z */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct ocppprof *ps)
{
	static const int phases[] = { 3, 1, 3, 3 };
	struct ocppprof back;
	json_t	*a, *b;
	char	*ta, *tb;

	assert(ps->nprof >= 0 && ps->nprof <= OCPPPROF_MAX_PROFILES);
	for (int c = 0; c <= ps->nconn; c++)
		for (int64_t t = T0 - 86400000; t < T0 + 86400000;
		    t += 3600000) {
			int32_t	 cap = ocppprof_cap_da(ps, c, t, phases[c], 230);

			assert(cap >= 0);
			assert(c == 0 || cap <= ocppprof_cap_da(ps, 0, t, 3,
			    230) || ocppprof_cap_da(ps, 0, t, 3, 230) ==
			    INT32_MAX || phases[c] != 3);
		}
	a = ocppprof_save(ps);
	ocppprof_init(&back, ps->nconn, ps->max_da);
	assert(ocppprof_load(&back, a) == 0);
	b = ocppprof_save(&back);
	ta = json_dumps(a, JSON_SORT_KEYS);
	tb = json_dumps(b, JSON_SORT_KEYS);
	assert(ta != NULL && tb != NULL && strcmp(ta, tb) == 0);
	free(ta);
	free(tb);
	json_decref(a);
	json_decref(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const actions[] = { "SetChargingProfile",
	    "ClearChargingProfile", "GetCompositeSchedule", NULL };
	static const int phases[] = { 3, 1, 3, 3 };
	static struct ocppprof ps;
	json_t	*req, *r;
	bool	 changed;

	if (size < 1)
		return 0;
	req = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	if (req == NULL)
		return 0;
	ocppprof_init(&ps, 2, 320);
	ocppprof_tx_started(&ps, 1, 7, T0 - 600000);
	if ((data[0] & 3) == 3)
		(void)ocppprof_load(&ps, req);
	else {
		r = ocppprof_call(&ps, actions[data[0] & 3], req,
		    data[0] & 4 ? 7 : 0, T0, phases, 230, &changed);
		assert(r != NULL);
		json_decref(r);
		/* a second call on what the first left */
		r = ocppprof_call(&ps, actions[(data[0] >> 3) % 3], req, 0,
		    T0 + 3600000, phases, 230, &changed);
		json_decref(r);
	}
	check(&ps);
	json_decref(req);
	return 0;
}
