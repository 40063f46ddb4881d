/*
 * meterio.h: reads one meter (the supply's, or a circuit's: each has its
 * own) over Modbus TCP or RTU (libmodbus) in a thread of its own, because libmodbus waits for each answer and a
 * serial line cannot be driven by readiness; each result reaches the
 * loop through uv_async, which never waits.
 */
#ifndef EVG_METERIO_H
#define EVG_METERIO_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "master_config.h"
#include "meter.h"

struct meterio;
typedef void (*meterio_cb)(struct meterio *, bool ok,
    const struct meter_reading *, const char *why);

struct meterio {
	uv_loop_t		*loop;
	uv_async_t		 async;
	uv_thread_t		 thread;
	uv_mutex_t		 mu;
	uv_cond_t		 cv;
	bool			 stop;
	const struct meter_conf *conf;	/* the caller's, outlives it */
	struct meter_params	 params;
	meterio_cb		 cb;
	void			*data;
	/* the latest result, under mu */
	bool			 fresh, ok;
	struct meter_reading	 reading;
	char			 why[128];
};

void	meterio_params(const struct meter_conf *, struct meter_params *);
int	meterio_start(struct meterio *, uv_loop_t *,
	    const struct meter_conf *, meterio_cb, void *data);
void	meterio_stop(struct meterio *);

#endif
