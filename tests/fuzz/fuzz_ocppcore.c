/*
 * fuzz_ocppcore.c: libFuzzer on what a CSMS sends a charge point
 * (master/ocppcore.c, ocppops.c): whatever comes, nothing crashes, every
 * text sent back is an OCPP-J frame (a CALLRESULT or CALLERROR to the
 * CALL, or a CALL of ours), every action on the site names a connector
 * the charger has, and the charge point's state keeps its bounds.
 * Input: texts separated by newlines, each one message from the CSMS,
 * to a charge point booted with a session on connector 1.
 *   build/clang/tests/fuzz_ocppcore -runs=N tests/fuzz/corpus_ocppcore
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charger.h"
#include "ocppcore.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
f_send(void *arg, const char *t, size_t len)
{
	json_t	*f = json_loadb(t, len, 0, NULL);
	json_int_t type;

	(void)arg;
	assert(json_is_array(f));
	type = json_integer_value(json_array_get(f, 0));
	assert(type >= 2 && type <= 4);
	assert(json_is_string(json_array_get(f, 1)));
	assert(json_array_size(f) == (type == 2 ? 4 : type == 3 ? 3 : 5));
	json_decref(f);
	return 0;
}

static void
f_store(void *arg, const struct ocpp_rec *r)
{
	(void)arg;
	(void)r;
}

static int
f_act(void *arg, const struct ocpp_act *a, char *why, size_t len)
{
	(void)arg;
	(void)why;
	(void)len;
	switch (a->kind) {
	case OCPP_ACT_AUTHORISE:
	case OCPP_ACT_REFUSE:
	case OCPP_ACT_STOP:
	case OCPP_ACT_TX_STARTED:
	case OCPP_ACT_TX_ENDED:
		assert(a->connector >= 1 && a->connector <= 2);
		break;
	case OCPP_ACT_LOCK:
	case OCPP_ACT_UNLOCK:
		assert(a->connector >= 0 && a->connector <= 2);
		break;
	default:
		break;
	}
	return 0;
}

static const struct ocpp_conf conf = {
	"evgroup", "evgroup-slave", "SN", "1.0", 300, 60, 900, 30,
	true, false, false, true, 30, false,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocpp_cp cp;
	struct ocpp_cp_in in = { .online = true, .nconn = 2 };
	char	 b[256];
	uint64_t now = 1000;
	int64_t	 wall = 1767225600000LL;
	size_t	 i = 0;

	ocppcore_init(&cp, &conf, &(struct ocpp_ops){ NULL, f_send, f_store,
	    f_act, false, NULL }, 1);
	in.c[0] = (struct ocpp_conn_in){ .state = CS_CHARGING, .cp_state = 2,
	    .session_no = 1, .total_wh = 100, .offer_da = 160 };
	ocppcore_input(&cp, &in, now, wall);
	ocppcore_up(&cp, now);
	snprintf(b, sizeof(b), "[3,\"%s\",{\"status\":\"Accepted\","
	    "\"currentTime\":\"2026-01-01T00:00:00Z\",\"interval\":300}]",
	    cp.call_id);
	ocppcore_receive(&cp, b, strlen(b), now, wall);
	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t	 n = nl ? (size_t)(nl - (data + i)) : size - i;

		ocppcore_receive(&cp, (const char *)data + i, n, now, wall);
		now += 7000;
		wall += 7000;
		in.c[0].total_wh += 10;
		ocppcore_input(&cp, &in, now, wall);
		assert(cp.nmq >= 0 && cp.nmq <= OCPP_MQ_MAX);
		assert(cp.ntx >= 0 && cp.ntx <= 16);
		assert(cp.nlist >= 0 && cp.nlist <= OCPP_LIST_MAX);
		assert(cp.ncache >= 0 && cp.ncache <= OCPP_CACHE_MAX);
		assert(cp.keys.heartbeat_s >= 0);
		i += n + 1;
	}
	ocppcore_free(&cp);
	return 0;
}
