/*
 * io.c: samples the hardware into a struct fw_in and drives a struct
 * fw_out back out. A sensor that does not answer is marked not-ok, never
 * replaced by a guess: the core treats it as the unsafe case.
 */
#include <string.h>

#include "io.h"

void
io_gather(const struct hal *h, int nconn, struct fw_in *in)
{
	const struct hal_ops *op = h->ops;

	memset(in, 0, sizeof(*in));
	in->voltage_ok = op->voltage_sense(h->hw, in->ln_dv) == 0;
	in->pe_ok = op->pe_sense(h->hw, &in->pe_dv) == 0;
	in->temp_ok = op->temperature_sense(h->hw, &in->temp_ddeg) == 0;
	for (int i = 0; i < nconn; i++) {
		struct fw_conn_in *c = &in->conn[i];

		c->pilot_ok = op->pilot_sense(h->hw, i, &c->cp_high_mv,
		    &c->cp_low_mv) == 0;
		/* An unreadable feedback contact reads as closed: that is
		 * the state that must never be assumed away. */
		if (op->contactor_sense(h->hw, i, &c->contactor_closed) != 0)
			c->contactor_closed = true;
		if (op->rcm_sense(h->hw, i, &c->rcm_ac, &c->rcm_dc) != 0)
			c->rcm_ac = c->rcm_dc = true;
		c->meter_ok = op->current_sense(h->hw, i, c->line_da) == 0 &&
		    op->energy_sense(h->hw, i, &c->energy_wh) == 0;
		c->rfid_new = op->rfid_poll(h->hw, i, c->rfid) == 1;
	}
}

void
io_apply(const struct hal *h, int nconn, const struct fw_out *out)
{
	const struct hal_ops *op = h->ops;

	for (int i = 0; i < nconn; i++) {
		const struct fw_conn_out *c = &out->conn[i];

		/* Opening first: a pilot change never precedes it. */
		(void)op->contactor_drive(h->hw, i, c->contactor_close);
		(void)op->pilot_drive(h->hw, i, c->drive, c->duty_pm);
		(void)op->rcm_test(h->hw, i, c->rcm_test);
		(void)op->led_show(h->hw, i, c->led);
	}
}
