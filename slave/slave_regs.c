/*
 * slave_regs.c: encodes the firmware's state into the register map and
 * applies the master's writes: validate everything first (exception 02
 * or 03, or 04 for a raise while the master is silent; nothing applied),
 * then the command (exception 04 if it cannot act now, nothing else
 * applied), then the rest.
 */
#include <errno.h>
#include <string.h>

#include "slave_regs.h"

void
slave_regs_inputs(const struct slave *s, uint64_t now, uint16_t *regs)
{
	const struct fw *fw = &s->fw;
	struct reg_unit u = {
		.map_version = REGMAP_VERSION,
		.connectors = (uint16_t)fw->cfg.nconn,
		.firmware = EVG_VERSION_MAJOR * 256 + EVG_VERSION_MINOR,
		.status = (uint16_t)fw->status,
		.uptime_s = (uint32_t)((now - s->start_ms) / 1000),
		.heartbeat_seen = fw->heartbeat,
		.temp_ddeg = (int16_t)fw->temp_ddeg,
		.hw_max_da = (uint16_t)fw->cfg.hw_max_da,
	};

	memset(regs, 0, SLAVE_REGS_SPAN * sizeof(uint16_t));
	for (int p = 0; p < 3; p++)
		u.ln_dv[p] = fw->ln_dv[p] < 0 ? 0 : (uint16_t)fw->ln_dv[p];
	memcpy(u.serial, s->conf.serial, sizeof(u.serial));
	regmap_encode_unit(&u, regs);

	for (int i = 0; i < fw->cfg.nconn; i++) {
		const struct fw_conn *c = &fw->conn[i];
		const struct fw_session *se = &c->sess;
		uint64_t dur = se->active ? now - se->start_ms :
		    se->end_ms - se->start_ms;
		struct reg_conn rc = {
			.cp_state = (uint16_t)(c->cp.valid ? c->cp_state :
			    CP_INVALID),
			.state = (uint16_t)c->state,
			.faults = (uint16_t)(c->faults | c->latched),
			.offer_da = (uint16_t)c->offer_da,
			.duty_pm = c->duty_pm,
			.session_wh = se->energy_wh,
			.total_wh = (uint32_t)c->energy_wh,
			.session_s = se->number ? (uint32_t)(dur / 1000) : 0,
			.session_no = se->number,
			.phase = (uint16_t)fw->cfg.conn[i].phase,
			.max_da = (uint16_t)fw->cfg.conn[i].max_da,
			.contactor = c->close_cmd,
			.led = (uint16_t)c->led,
			.setpoint_da = (uint16_t)fw_setpoint_in_force(fw, i),
		};

		for (int p = 0; p < 3; p++)
			rc.current_da[p] = c->site_da[p] < 0 ? 0 :
			    (uint16_t)c->site_da[p];
		memcpy(rc.tag, se->tag, sizeof(rc.tag));
		regmap_encode_conn(&rc, regs + REGMAP_CONN_BASE * (i + 1));
	}
}

void
slave_regs_holdings(const struct slave *s, uint16_t *regs)
{
	const struct fw *fw = &s->fw;
	struct reg_unit_hold uh = {
		.heartbeat = fw->heartbeat,
		.fallback_da = (uint16_t)fw->cfg.fallback_da,
		.fallback_s = (uint16_t)(fw->cfg.fallback_timeout_ms / 1000),
		.authorisation = (uint16_t)fw->cfg.auth,
	};

	memset(regs, 0, SLAVE_REGS_SPAN * sizeof(uint16_t));
	regmap_encode_unit_hold(&uh, regs);
	for (int i = 0; i < fw->cfg.nconn; i++) {
		struct reg_conn_hold ch = {
			.setpoint_da = (uint16_t)fw->conn[i].setpoint_da,
		};

		regmap_encode_conn_hold(&ch, regs + REGMAP_CONN_BASE * (i + 1));
	}
}

/* The exception for a refused setpoint or fallback current. */
static int
refusal(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case -EBUSY:	/* master silent: no raising */
		return MB_EXC_SLAVE_FAILURE;
	default:
		return MB_EXC_ILLEGAL_VALUE;
	}
}

/*
 * Applies a master write to holding registers. Returns 0, or the Modbus
 * exception to answer (and then nothing was changed). While the unit is
 * in fallback (heartbeat silent), a setpoint or fallback current above
 * the fallback current in force is refused with 04.
 */
int
slave_regs_write(struct slave *s, unsigned addr, unsigned count,
    const uint16_t *vals, uint64_t now)
{
	struct fw *fw = &s->fw;
	uint16_t conn_max[REGMAP_MAX_CONN] = { 0 };
	uint16_t img[SLAVE_REGS_SPAN];
	unsigned blk = addr / REGMAP_CONN_BASE;
	int	 exc;

	for (int i = 0; i < fw->cfg.nconn; i++)
		conn_max[i] = (uint16_t)fw->cfg.conn[i].max_da;
	if ((exc = regmap_check_write(addr, count, vals, fw->cfg.nconn,
	    conn_max)) != 0)
		return exc;

	/* Merge the write into the current image, then decode the block. */
	slave_regs_holdings(s, img);
	memcpy(img + addr, vals, count * sizeof(uint16_t));
	if (blk == 0) {
		struct reg_unit_hold uh;

		regmap_decode_unit_hold(img, &uh);
		if ((exc = refusal(fw_set_fallback(fw, uh.fallback_da,
		    (uint32_t)uh.fallback_s * 1000))) != 0)
			return exc;
		/* the master's mode (an RFID site: remote) stands until
		 * the charger restarts, when its own setting is back */
		fw->cfg.auth = (enum auth_mode)uh.authorisation;
		if (addr == 0)	/* the heartbeat itself was written */
			fw_heartbeat(fw, uh.heartbeat, now);
	} else {
		struct reg_conn_hold ch;
		int	 ci = (int)blk - 1;
		unsigned cmd_addr = blk * REGMAP_CONN_BASE + 1;

		regmap_decode_conn_hold(img + blk * REGMAP_CONN_BASE, &ch);
		/* The setpoint is checked before the command acts, so that a
		 * refused write leaves the command undone too. */
		if ((exc = refusal(fw_setpoint_check(fw, ci,
		    ch.setpoint_da))) != 0)
			return exc;
		if (cmd_addr >= addr && cmd_addr < addr + count &&
		    ch.command != REGMAP_CMD_NONE && fw_command(fw, ci,
		    (enum fw_cmd)ch.command, now) != 0)
			return MB_EXC_SLAVE_FAILURE;
		(void)fw_setpoint(fw, ci, ch.setpoint_da);
	}
	return 0;
}
