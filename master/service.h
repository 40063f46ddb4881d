/*
 * service.h: what the master tells systemd (sd_notify(3)): READY=1 once
 * the control loop has run a cycle, WATCHDOG=1 for as long as it keeps
 * running them. Pure: the shell (main.c) gives the last cycle's time.
 */
#ifndef EVG_SERVICE_H
#define EVG_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

/* a cycle later than twice its period plus this: the loop is stuck */
#define SVC_GRACE_MS	1000
/* the watchdog while a restart (execv) starts again: as long as a start
 * may take (the unit's TimeoutStartSec=), the database checked first */
#define SVC_RESTART_WATCHDOG_MS	300000
/* how often the shell looks while it waits to be ready (no watchdog) */
#define SVC_READY_POLL_MS	100

enum svc_action {
	SVC_READY = 1,		/* send READY=1 */
	SVC_WATCHDOG = 2,	/* send WATCHDOG=1 */
};

struct svc {
	uint64_t	 watchdog_ms;	/* systemd's WatchdogSec=, 0: none */
	uint64_t	 poll_ms;	/* the control cycle's period */
	bool		 ready;		/* READY=1 sent */
};

void		svc_init(struct svc *, uint64_t watchdog_ms, uint64_t poll_ms);
uint64_t	svc_period_ms(const struct svc *);
int		svc_step(struct svc *, uint64_t last_cycle_ms, uint64_t now_ms);

#endif
