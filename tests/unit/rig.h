/*
 * rig.h: a charger in virtual time for the tests: the real firmware core
 * and the simulated hardware, stepped every 10 ms, with every event
 * recorded and the core's invariants checked after every step.
 */
#ifndef EVG_TEST_RIG_H
#define EVG_TEST_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include "slave.h"

#define RIG_TICK_MS	10
#define RIG_MAX_LOG	8192

struct rig {
	struct slave	 s;
	uint64_t	 now;
	struct fw_event	 log[RIG_MAX_LOG];
	uint64_t	 log_ms[RIG_MAX_LOG];
	int		 nlog;
	const char	*violation;	/* first invariant broken, if any */
	uint64_t	 violation_ms;
};

struct rig	*rig_new(const char *const *settings);
void		 rig_free(struct rig *);
void		 rig_run(struct rig *, uint64_t ms);
int		 rig_cmd(struct rig *, const char *line);
int64_t		 rig_find(const struct rig *, int conn, enum fw_event_kind,
		    int32_t a, int32_t b, uint64_t after_ms);
const struct fw_conn *rig_conn(const struct rig *, int conn);

#endif
