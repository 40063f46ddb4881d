/*
 * fw_text.c: the firmware's events as one line of text, for logs and the
 * demo (the names it uses are the shared ones, shared/charger.c).
 */
#include <stdio.h>

#include "fw.h"

/* One line of text for an event, for logs and the demo. */
const char *
fw_event_text(const struct fw_event *e, char *buf, size_t len)
{
	int n = e->conn + 1;

	switch (e->kind) {
	case EV_CP:
		snprintf(buf, len, "connector %d: pilot %s -> %s", n,
		    cp_state_name(e->a), cp_state_name(e->b));
		break;
	case EV_STATE:
		snprintf(buf, len, "connector %d: %s -> %s", n,
		    conn_state_name(e->a), conn_state_name(e->b));
		break;
	case EV_CONTACTOR:
		snprintf(buf, len, "connector %d: contactor %s", n,
		    e->a ? "closed" : "opened");
		break;
	case EV_FAULT_SET:
		snprintf(buf, len, "connector %d: fault %s%s", n,
		    fault_name(e->a), e->b ? " (latched: needs a reset)" : "");
		break;
	case EV_FAULT_CLEAR:
		snprintf(buf, len, "connector %d: fault %s cleared%s", n,
		    fault_name(e->a), e->b ? " by reset" : "");
		break;
	case EV_SESSION_START:
		snprintf(buf, len, "connector %d: session %d started", n, e->a);
		break;
	case EV_SESSION_END:
		snprintf(buf, len, "connector %d: session %d ended (%s)", n,
		    e->a, stop_reason_name(e->b));
		break;
	case EV_OFFER:
		snprintf(buf, len, "connector %d: offer %d.%d A -> %d.%d A", n,
		    e->a / 10, e->a % 10, e->b / 10, e->b % 10);
		break;
	case EV_RCM_TEST:
		snprintf(buf, len, "connector %d: residual current self-test "
		    "%s", n, e->a ? "passed" : "failed");
		break;
	case EV_FALLBACK:
		snprintf(buf, len, e->a ? "master silent: fallback current in "
		    "force" : "master heard again");
		break;
	case EV_PAUSE_IGNORED:
		snprintf(buf, len, "connector %d: car did not stop: opened "
		    "under load at the end of its 6 s", n);
		break;
	case EV_REFUSED:
		snprintf(buf, len, "connector %d: not closing: %s", n,
		    e->a == REFUSE_VENTILATION ?
		    "car asks for ventilation (state D), site has none" :
		    "minimum open time not over");
		break;
	}
	return buf;
}
