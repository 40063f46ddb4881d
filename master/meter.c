/*
 * meter.c: meter drivers (which registers, how to decode them) and the
 * plausibility of readings. A meter that errs, reports NaN or infinity, a
 * current beyond 1.5 x its CT rating, or a frame counter that stops, is
 * faulty; after offline_after faults in a row it is offline and the
 * conservative "meter offline" limit applies (alloc.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "meter.h"

int
meter_reads(const struct meter_params *p, struct meter_read *out, int max)
{
	int	 n = 0;

	switch (p->driver) {
	case METER_SENSE:
		out[n++] = (struct meter_read){ 0, SENSE_NREGS };
		break;
	case METER_SDM630:
		out[n++] = (struct meter_read){ 0, SDM_NREGS_630 };
		break;
	case METER_SDM120:
		out[n++] = (struct meter_read){ 0, SDM_NREGS_120 };
		break;
	case METER_GENERIC:
		for (int k = 0; k < EVG_PHASES && n < max; k++)
			if (p->clamp_enabled[k])
				out[n++] = (struct meter_read){
					p->generic[k].addr,
					p->generic[k].type == MT_INT16 ||
					p->generic[k].type == MT_UINT16 ? 1 : 2 };
		break;
	}
	return n;
}

/* A float32 from two registers, high word first (Eastron's order). */
static float
f32(const uint16_t *r, bool swap)
{
	uint32_t u = swap ? (uint32_t)r[1] << 16 | r[0] :
	    (uint32_t)r[0] << 16 | r[1];
	float	 f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* Amps (or volts) as a float to tenths, refusing what is not a number. */
static int
tenths(double v, int32_t *out)
{
	if (!isfinite(v) || fabs(v) > 100000.0)
		return -1;
	*out = (int32_t)lround(v * 10.0);
	return 0;
}

static int
generic_value(const struct meter_generic_reg *g, const uint16_t *r,
    int32_t *out)
{
	double	 raw;

	switch (g->type) {
	case MT_INT16:
		raw = (int16_t)r[0];
		break;
	case MT_UINT16:
		raw = r[0];
		break;
	case MT_INT32:
	case MT_UINT32: {
		uint32_t u = g->word_swap ? (uint32_t)r[1] << 16 | r[0] :
		    (uint32_t)r[0] << 16 | r[1];

		raw = g->type == MT_INT32 ? (double)(int32_t)u : (double)u;
		break;
	}
	case MT_FLOAT32:
		raw = f32(r, g->word_swap);
		break;
	default:
		return -1;
	}
	/* scale_milli: thousandths of 0.1 A per raw unit */
	return tenths(raw * g->scale_milli / 10000.0, out);
}

/*
 * Decodes what the reads returned (regs[k] for read k). Returns 0, or -1
 * with *why for a reading that cannot be a measurement.
 */
int
meter_decode(const struct meter_params *p, const uint16_t *const *regs,
    struct meter_reading *m, const char **why)
{
	memset(m, 0, sizeof(*m));
	switch (p->driver) {
	case METER_SENSE: {
		const uint16_t *r = regs[0];

		if (r[0] != SENSE_MAP_VERSION) {
			*why = "not a Sense CT kit (map version)";
			return -1;
		}
		for (int k = 0; k < EVG_PHASES; k++) {
			m->current_da[k] = (int16_t)r[1 + k];
			m->voltage_dv[k] = r[4 + k];
		}
		m->has_frame = true;
		m->frame = r[7];
		return 0;
	}
	case METER_SDM630:
	case METER_SDM120: {
		const uint16_t *r = regs[0];
		int	 np = p->driver == METER_SDM630 ? 3 : 1;

		for (int k = 0; k < np; k++) {
			double	 i = f32(r + 6 + 2 * k, false);
			double	 pw = f32(r + 12 + 2 * k, false);
			double	 v = f32(r + 2 * k, false);

			/* Its currents are magnitudes; the power's sign says
			 * which way (negative: export). */
			if (!isfinite(pw) || tenths(fabs(i) * (pw < 0 ? -1 : 1),
			    &m->current_da[k]) != 0 ||
			    tenths(v, &m->voltage_dv[k]) != 0) {
				*why = "not a number (NaN or infinite)";
				return -1;
			}
		}
		return 0;
	}
	case METER_GENERIC: {
		int	 n = 0;

		for (int k = 0; k < EVG_PHASES; k++) {
			if (!p->clamp_enabled[k])
				continue;
			if (generic_value(&p->generic[k], regs[n++],
			    &m->current_da[k]) != 0) {
				*why = "not a number (NaN or infinite)";
				return -1;
			}
		}
		return 0;
	}
	}
	*why = "unknown driver";
	return -1;
}

unsigned
meter_core_fault(struct meter_core *mc, const struct meter_params *p,
    const char *why, uint64_t now)
{
	(void)now;
	/* A copy: the caller's text may live on its stack. */
	snprintf(mc->why, sizeof(mc->why), "%s", why != NULL ? why : "");
	mc->faults++;
	mc->faults_total++;
	if (mc->online && mc->faults >= p->offline_after) {
		mc->online = false;
		return METER_WENT_OFFLINE;
	}
	return 0;
}

/*
 * Called every cycle, whether a reading came or not: a meter whose
 * readings stopped arriving (its thread stuck, its answers lost on the
 * way) is offline once its last good reading is older than stale_ms,
 * like one that answers with faults.
 */
unsigned
meter_core_age(struct meter_core *mc, const struct meter_params *p,
    uint64_t now)
{
	if (!mc->online || now - mc->last_ok_ms <= p->stale_ms)
		return 0;
	snprintf(mc->why, sizeof(mc->why), "%s for %llu ms", mc->stalled > 0 ?
	    "frame counter stopped: no new reading" : "no reading",
	    (unsigned long long)(now - mc->last_ok_ms));
	mc->online = false;
	mc->faults = p->offline_after;
	return METER_WENT_OFFLINE;
}

/* A reading arrived: is it plausible? Then it counts. */
unsigned
meter_core_good(struct meter_core *mc, const struct meter_params *p,
    const struct meter_reading *m, uint64_t now)
{
	for (int k = 0; k < EVG_PHASES; k++) {
		int32_t lim = p->ct_rating_da[k] * METER_IMPLAUSIBLE_X10 / 10;

		if (p->clamp_enabled[k] &&
		    (m->current_da[k] > lim || m->current_da[k] < -lim))
			return meter_core_fault(mc, p,
			    "current beyond 1.5 x the CT rating", now);
	}
	if (m->has_frame) {
		if (mc->have_frame && m->frame == mc->last_frame) {
			if (++mc->stalled >= p->frame_stall_polls)
				return meter_core_fault(mc, p,
				    "frame counter stopped", now);
			/* the same frame again: nothing new, nothing wrong yet */
			return 0;
		}
		mc->stalled = 0;
		mc->have_frame = true;
		mc->last_frame = m->frame;
	}
	mc->faults = 0;
	mc->last = *m;
	mc->last_ok_ms = now;
	mc->readings++;
	if (!mc->online) {
		mc->online = true;
		return METER_WENT_ONLINE;
	}
	return 0;
}
