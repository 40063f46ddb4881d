/*
 * service.c: when the master tells systemd it is ready and alive. The
 * watchdog is fed only while control cycles really run: a loop held up
 * (a blocking call, a dead lock) or a cycle timer that stopped firing
 * stops the feeding, and systemd restarts the master after WatchdogSec=.
 */
#include "service.h"

void
svc_init(struct svc *s, uint64_t watchdog_ms, uint64_t poll_ms)
{
	s->watchdog_ms = watchdog_ms;
	s->poll_ms = poll_ms;
	s->ready = false;
}

/*
 * How often the shell calls svc_step: four times per watchdog period
 * (sd_watchdog_enabled(3) asks for at least two), or while it waits to
 * be ready.
 */
uint64_t
svc_period_ms(const struct svc *s)
{
	uint64_t p = s->watchdog_ms / 4;

	if (s->watchdog_ms == 0)
		return SVC_READY_POLL_MS;
	return p < 10 ? 10 : p;
}

/*
 * last_cycle_ms: when the newest control cycle started (0: none yet),
 * on the same monotonic clock as now_ms. Returns the SVC_ actions due.
 */
int
svc_step(struct svc *s, uint64_t last_cycle_ms, uint64_t now_ms)
{
	int	 act = 0;

	if (last_cycle_ms == 0)
		return 0;
	if (now_ms > last_cycle_ms &&
	    now_ms - last_cycle_ms > 2 * s->poll_ms + SVC_GRACE_MS)
		return 0;
	if (!s->ready) {
		s->ready = true;
		act |= SVC_READY;
	}
	if (s->watchdog_ms != 0)
		act |= SVC_WATCHDOG;
	return act;
}
