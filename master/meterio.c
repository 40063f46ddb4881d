/*
 * meterio.c: the meter thread. See meterio.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <modbus.h>

#include "clock.h"
#include "meterio.h"

void
meterio_params(const struct meter_conf *mc, struct meter_params *p)
{
	memset(p, 0, sizeof(*p));
	p->driver = (enum meter_driver)mc->driver;
	p->offline_after = mc->offline_after;
	/* the CT kit counts a frame every measurement (~200 ms): several
	 * polls with the same one mean it has stopped measuring */
	p->frame_stall_polls = 4;
	/* one period more than offline_after faults take, so that a meter
	 * that answers with faults is reported by them */
	p->stale_ms = (uint32_t)(mc->offline_after + 1) *
	    (uint32_t)mc->poll_period;
	for (int k = 0; k < EVG_PHASES; k++) {
		p->clamp_enabled[k] = mc->clamp[k].enabled &&
		    (p->driver != METER_SDM120 || k == 0);
		p->ct_rating_da[k] = mc->clamp[k].ct_rating;
		p->generic[k] = (struct meter_generic_reg){
			(uint16_t)mc->clamp[k].addr,
			(enum meter_type)mc->clamp[k].type,
			mc->clamp[k].word_swap,
			mc->clamp[k].scale_milli,
		};
	}
}

static void
post(struct meterio *io, bool ok, const struct meter_reading *r,
    const char *why)
{
	uv_mutex_lock(&io->mu);
	io->fresh = true;
	io->ok = ok;
	if (ok)
		io->reading = *r;
	snprintf(io->why, sizeof(io->why), "%s", why ? why : "");
	uv_mutex_unlock(&io->mu);
	uv_async_send(&io->async);
}

static modbus_t *
open_meter(const struct meter_conf *mc, char *why, size_t len)
{
	static const char parity[] = { 'N', 'E', 'O' };
	modbus_t *ctx;

	ctx = mc->transport == 0 ?
	    modbus_new_tcp(mc->host, mc->port) :
	    modbus_new_rtu(mc->device, mc->baud,
	    parity[mc->parity], 8, 1);
	if (ctx == NULL) {
		snprintf(why, len, "cannot set up: %s", modbus_strerror(errno));
		return NULL;
	}
	modbus_set_slave(ctx, mc->unit_id);
	/* An answer must come well inside one poll period. */
	modbus_set_response_timeout(ctx, 0,
	    (uint32_t)mc->poll_period * 600);
	if (modbus_connect(ctx) != 0) {
		snprintf(why, len, "cannot connect: %s", modbus_strerror(errno));
		modbus_free(ctx);
		return NULL;
	}
	return ctx;
}

static void
thread_main(void *arg)
{
	struct meterio *io = arg;
	const struct meter_conf *mc = io->conf;
	modbus_t *ctx = NULL;
	uint16_t regs[EVG_PHASES][64];
	const uint16_t *rp[EVG_PHASES] = { regs[0], regs[1], regs[2] };
	struct meter_read rd[EVG_PHASES];
	int	 nrd = meter_reads(&io->params, rd, EVG_PHASES);

	uv_mutex_lock(&io->mu);
	while (!io->stop) {
		uint64_t t0 = clock_now_ms(), spent;
		struct meter_reading r;
		const char *bad = NULL;
		char	 why[128] = "";
		bool	 ok = true;

		uv_mutex_unlock(&io->mu);
		if (ctx == NULL)
			ctx = open_meter(mc, why, sizeof(why));
		if (ctx == NULL)
			ok = false;
		for (int k = 0; ok && k < nrd; k++)
			if (modbus_read_input_registers(ctx, rd[k].addr,
			    rd[k].count, regs[k]) != rd[k].count) {
				snprintf(why, sizeof(why), "read failed: %s",
				    modbus_strerror(errno));
				ok = false;
				/* start afresh: a half-read answer may still
				 * be on its way */
				modbus_close(ctx);
				modbus_free(ctx);
				ctx = NULL;
			}
		if (ok && meter_decode(&io->params, rp, &r, &bad) != 0) {
			ok = false;
			snprintf(why, sizeof(why), "%s", bad);
		}
		post(io, ok, &r, why);
		uv_mutex_lock(&io->mu);
		spent = clock_now_ms() - t0;
		if (!io->stop && spent < (uint64_t)mc->poll_period)
			(void)uv_cond_timedwait(&io->cv, &io->mu,
			    ((uint64_t)mc->poll_period - spent) * 1000000);
	}
	uv_mutex_unlock(&io->mu);
	if (ctx != NULL) {
		modbus_close(ctx);
		modbus_free(ctx);
	}
}

static void
on_async(uv_async_t *a)
{
	struct meterio *io = a->data;
	struct meter_reading r;
	char	 why[128];
	bool	 ok, fresh;

	uv_mutex_lock(&io->mu);
	fresh = io->fresh;
	ok = io->ok;
	r = io->reading;
	memcpy(why, io->why, sizeof(why));
	io->fresh = false;
	uv_mutex_unlock(&io->mu);
	if (fresh)
		io->cb(io, ok, &r, why);
}

int
meterio_start(struct meterio *io, uv_loop_t *loop,
    const struct meter_conf *mc, meterio_cb cb, void *data)
{
	memset(io, 0, sizeof(*io));
	io->loop = loop;
	io->conf = mc;
	io->cb = cb;
	io->data = data;
	meterio_params(mc, &io->params);
	uv_mutex_init(&io->mu);
	uv_cond_init(&io->cv);
	uv_async_init(loop, &io->async, on_async);
	io->async.data = io;
	return uv_thread_create(&io->thread, thread_main, io);
}

void
meterio_stop(struct meterio *io)
{
	uv_mutex_lock(&io->mu);
	io->stop = true;
	uv_cond_signal(&io->cv);
	uv_mutex_unlock(&io->mu);
	uv_thread_join(&io->thread);
	uv_close((uv_handle_t *)&io->async, NULL);
	uv_mutex_destroy(&io->mu);
	uv_cond_destroy(&io->cv);
}
