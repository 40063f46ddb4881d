/*
 * regmap.c: the register map table and the codec driven by it.
 */
#include <stdio.h>
#include <string.h>

#include "regmap.h"

#define U(f)	offsetof(struct reg_unit, f)
#define C(f)	offsetof(struct reg_conn, f)
#define UH(f)	offsetof(struct reg_unit_hold, f)
#define CH(f)	offsetof(struct reg_conn_hold, f)

const struct reg_def regmap[] = {
	/* input registers, unit block */
	{ REG_INPUT, REG_UNIT, 0, RT_U16, 1, U(map_version), "map_version", "",
	    false, 0, 0, "register map version (2)" },
	{ REG_INPUT, REG_UNIT, 1, RT_U16, 1, U(connectors), "connectors", "",
	    false, 0, 0, "connectors on the unit (1 or 2)" },
	{ REG_INPUT, REG_UNIT, 2, RT_U16, 1, U(firmware), "firmware", "",
	    false, 0, 0, "firmware version, major * 256 + minor" },
	{ REG_INPUT, REG_UNIT, 3, RT_U16, 1, U(status), "unit_status", "",
	    false, 0, 0, "0 normal, 1 fallback (master silent), 2 unit fault, "
	    "3 booting" },
	{ REG_INPUT, REG_UNIT, 4, RT_U32, 2, U(uptime_s), "uptime", "s",
	    false, 0, 0, "time since start" },
	{ REG_INPUT, REG_UNIT, 6, RT_U16, 1, U(heartbeat_seen),
	    "heartbeat_seen", "", false, 0, 0,
	    "last master heartbeat value seen" },
	{ REG_INPUT, REG_UNIT, 7, RT_S16, 1, U(temp_ddeg), "temperature",
	    "0.1 degC", false, 0, 0, "enclosure temperature (signed)" },
	{ REG_INPUT, REG_UNIT, 8, RT_U16, 1, U(ln_dv[0]), "voltage_l1",
	    "0.1 V", false, 0, 0, "L1-N voltage" },
	{ REG_INPUT, REG_UNIT, 9, RT_U16, 1, U(ln_dv[1]), "voltage_l2",
	    "0.1 V", false, 0, 0, "L2-N voltage" },
	{ REG_INPUT, REG_UNIT, 10, RT_U16, 1, U(ln_dv[2]), "voltage_l3",
	    "0.1 V", false, 0, 0, "L3-N voltage" },
	{ REG_INPUT, REG_UNIT, 11, RT_U16, 1, U(hw_max_da), "hw_max_current",
	    "0.1 A", false, 0, 0, "hardware maximum per connector" },
	{ REG_INPUT, REG_UNIT, 12, RT_STR, 8, U(serial), "serial", "ASCII",
	    false, 0, 0, "serial number, 16 characters" },
	/* input registers, connector block at 100 * n */
	{ REG_INPUT, REG_CONN, 0, RT_U16, 1, C(cp_state), "cp_state", "",
	    false, 0, 0, "pilot state: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, "
	    "6 invalid / not yet known" },
	{ REG_INPUT, REG_CONN, 1, RT_U16, 1, C(state), "state", "",
	    false, 0, 0, "0 available, 1 waiting for authorisation, "
	    "2 authorised waiting for car, 3 charging, "
	    "4 waiting for current (offer 0), 5 suspended by car, 6 fault, "
	    "7 locked" },
	{ REG_INPUT, REG_CONN, 2, RT_U16, 1, C(faults), "faults", "bits",
	    false, 0, 0, "0 RCM AC, 1 RCM DC, 2 diode, 3 pilot, "
	    "4 overvoltage, 5 undervoltage, 6 PEN, 7 over-temperature, "
	    "8 contactor welded, 9 contactor failed to close, 10 overcurrent, "
	    "11 internal meter timeout, 12 RCM self-test failed" },
	{ REG_INPUT, REG_CONN, 3, RT_U16, 1, C(offer_da), "offer", "0.1 A",
	    false, 0, 0, "current offered to the car now" },
	{ REG_INPUT, REG_CONN, 4, RT_U16, 1, C(duty_pm), "pwm_duty", "0.1 %",
	    false, 0, 0, "pilot duty cycle; 1000 = constant +12 V" },
	{ REG_INPUT, REG_CONN, 5, RT_U16, 1, C(current_da[0]), "current_l1",
	    "0.1 A", false, 0, 0, "measured current on site phase L1" },
	{ REG_INPUT, REG_CONN, 6, RT_U16, 1, C(current_da[1]), "current_l2",
	    "0.1 A", false, 0, 0, "measured current on site phase L2" },
	{ REG_INPUT, REG_CONN, 7, RT_U16, 1, C(current_da[2]), "current_l3",
	    "0.1 A", false, 0, 0, "measured current on site phase L3" },
	{ REG_INPUT, REG_CONN, 8, RT_U32, 2, C(session_wh), "session_energy",
	    "Wh", false, 0, 0, "energy of the current or last session" },
	{ REG_INPUT, REG_CONN, 10, RT_U32, 2, C(total_wh), "total_energy",
	    "Wh", false, 0, 0, "energy register of the connector's meter" },
	{ REG_INPUT, REG_CONN, 12, RT_U32, 2, C(session_s),
	    "session_duration", "s", false, 0, 0,
	    "duration of the current or last session" },
	{ REG_INPUT, REG_CONN, 14, RT_U16, 1, C(session_no), "session_number",
	    "", false, 0, 0, "number of the current or last session "
	    "(0: none yet)" },
	{ REG_INPUT, REG_CONN, 15, RT_U16, 1, C(phase), "phase", "",
	    false, 0, 0, "1 L1, 2 L2, 3 L3, 4 L1L2L3, 5 L2L3L1, 6 L3L1L2" },
	{ REG_INPUT, REG_CONN, 16, RT_U16, 1, C(max_da), "max_current",
	    "0.1 A", false, 0, 0, "connector maximum" },
	{ REG_INPUT, REG_CONN, 17, RT_U16, 1, C(contactor), "contactor", "",
	    false, 0, 0, "0 open, 1 closed (commanded)" },
	{ REG_INPUT, REG_CONN, 18, RT_U16, 1, C(led), "led", "",
	    false, 0, 0, "LED code (docs/slave.md)" },
	{ REG_INPUT, REG_CONN, 19, RT_U16, 1, C(setpoint_da), "setpoint",
	    "0.1 A", false, 0, 0, "setpoint in force (the master's, or the "
	    "fallback current)" },
	{ REG_INPUT, REG_CONN, 20, RT_STR, 8, C(tag), "rfid_tag", "ASCII",
	    false, 0, 0, "RFID tag of the session, zero-padded" },
	/* holding registers */
	{ REG_HOLDING, REG_UNIT, 0, RT_U16, 1, UH(heartbeat), "heartbeat", "",
	    false, 0, 65535, "the master writes a changing value every poll" },
	{ REG_HOLDING, REG_UNIT, 1, RT_U16, 1, UH(fallback_da),
	    "fallback_current", "0.1 A", true, 60, 800,
	    "current each connector applies when the master is silent "
	    "(0 = pause; default 0)" },
	{ REG_HOLDING, REG_UNIT, 2, RT_U16, 1, UH(fallback_s),
	    "fallback_timeout", "s", false, REGMAP_FALLBACK_TIMEOUT_MIN,
	    REGMAP_FALLBACK_TIMEOUT_MAX,
	    "heartbeat silence before the fallback applies (default 10)" },
	{ REG_HOLDING, REG_UNIT, 3, RT_U16, 1, UH(authorisation),
	    "authorisation", "", true, 1, 1, "0 free (plug and charge), "
	    "1 remote (wait for an authorise command); the master writes "
	    "its own mode (map version 2 and later)" },
	{ REG_HOLDING, REG_CONN, 0, RT_U16, 1, CH(setpoint_da), "setpoint",
	    "0.1 A", true, 60, 800, "0 = pause, or 6.0 A up to the connector "
	    "maximum" },
	{ REG_HOLDING, REG_CONN, 1, RT_U16, 1, CH(command), "command", "",
	    true, 1, 5, "1 authorise, 2 stop session, 3 lock, 4 unlock, "
	    "5 reset a latched fault (once its condition has cleared); "
	    "0 does nothing; reads 0" },
	{ 0, 0, 0, 0, 0, 0, NULL, NULL, false, 0, 0, NULL },
};

static void
put(const struct reg_def *d, const void *obj, uint16_t *regs)
{
	const char *f = (const char *)obj + d->field;
	uint16_t *r = regs + d->offset;
	uint32_t v32;
	int16_t	 s16;

	switch (d->type) {
	case RT_U16:
		memcpy(r, f, sizeof(uint16_t));
		break;
	case RT_S16:
		memcpy(&s16, f, sizeof(s16));
		r[0] = (uint16_t)s16;
		break;
	case RT_U32:
		memcpy(&v32, f, sizeof(v32));
		r[0] = (uint16_t)(v32 >> 16);	/* high word first */
		r[1] = (uint16_t)v32;
		break;
	case RT_STR: {
		size_t	len = strnlen(f, 2 * (size_t)d->width);

		for (size_t i = 0; i < d->width; i++) {
			unsigned hi = 2 * i < len ? (unsigned char)f[2 * i] : 0;
			unsigned lo = 2 * i + 1 < len ?
			    (unsigned char)f[2 * i + 1] : 0;

			r[i] = (uint16_t)(hi << 8 | lo);
		}
		break;
	}
	}
}

static void
get(const struct reg_def *d, const uint16_t *regs, void *obj)
{
	char	*f = (char *)obj + d->field;
	const uint16_t *r = regs + d->offset;
	uint32_t v32;
	int16_t	 s16;

	switch (d->type) {
	case RT_U16:
		memcpy(f, r, sizeof(uint16_t));
		break;
	case RT_S16:
		s16 = (int16_t)r[0];
		memcpy(f, &s16, sizeof(s16));
		break;
	case RT_U32:
		v32 = (uint32_t)r[0] << 16 | r[1];
		memcpy(f, &v32, sizeof(v32));
		break;
	case RT_STR:
		/* Printable ASCII only: a peer's bytes never become control
		 * characters in our logs. */
		for (int i = 0; i < d->width; i++) {
			unsigned char c[2] = { (unsigned char)(r[i] >> 8),
			    (unsigned char)r[i] };

			for (int k = 0; k < 2; k++)
				f[2 * i + k] = c[k] >= 0x20 && c[k] < 0x7f ?
				    (char)c[k] : '\0';
		}
		f[2 * d->width] = '\0';
		break;
	}
}

static void
codec(enum reg_space space, enum reg_block block, const void *in, void *out,
    bool encode, unsigned nregs)
{
	if (encode)
		memset(out, 0, nregs * sizeof(uint16_t));
	for (const struct reg_def *d = regmap; d->name != NULL; d++)
		if (d->space == space && d->block == block) {
			if (encode)
				put(d, in, out);
			else
				get(d, in, out);
		}
}

void
regmap_encode_unit(const struct reg_unit *u, uint16_t *regs)
{
	codec(REG_INPUT, REG_UNIT, u, regs, true, REGMAP_UNIT_INPUTS);
}

void
regmap_decode_unit(const uint16_t *regs, struct reg_unit *u)
{
	memset(u, 0, sizeof(*u));
	codec(REG_INPUT, REG_UNIT, regs, u, false, 0);
}

void
regmap_encode_conn(const struct reg_conn *c, uint16_t *regs)
{
	codec(REG_INPUT, REG_CONN, c, regs, true, REGMAP_CONN_INPUTS);
}

void
regmap_decode_conn(const uint16_t *regs, struct reg_conn *c)
{
	memset(c, 0, sizeof(*c));
	codec(REG_INPUT, REG_CONN, regs, c, false, 0);
}

void
regmap_encode_unit_hold(const struct reg_unit_hold *h, uint16_t *regs)
{
	codec(REG_HOLDING, REG_UNIT, h, regs, true, REGMAP_UNIT_HOLDINGS);
}

void
regmap_decode_unit_hold(const uint16_t *regs, struct reg_unit_hold *h)
{
	memset(h, 0, sizeof(*h));
	codec(REG_HOLDING, REG_UNIT, regs, h, false, 0);
}

void
regmap_encode_conn_hold(const struct reg_conn_hold *h, uint16_t *regs)
{
	codec(REG_HOLDING, REG_CONN, h, regs, true, REGMAP_CONN_HOLDINGS);
}

void
regmap_decode_conn_hold(const uint16_t *regs, struct reg_conn_hold *h)
{
	memset(h, 0, sizeof(*h));
	codec(REG_HOLDING, REG_CONN, regs, h, false, 0);
}

/*
 * Which block [addr, addr + count) lies in: 0 unit, n connector n, or -1
 * when it is not wholly inside one existing block.
 */
static int
block_of(enum reg_space space, unsigned addr, unsigned count, int nconn)
{
	unsigned unit_n = space == REG_INPUT ? REGMAP_UNIT_INPUTS :
	    REGMAP_UNIT_HOLDINGS;
	unsigned conn_n = space == REG_INPUT ? REGMAP_CONN_INPUTS :
	    REGMAP_CONN_HOLDINGS;
	unsigned n = addr / REGMAP_CONN_BASE, off = addr % REGMAP_CONN_BASE;

	if (count == 0)
		return -1;
	if (n == 0)
		return off + count <= unit_n ? 0 : -1;
	if ((int)n > nconn)
		return -1;
	return off + count <= conn_n ? (int)n : -1;
}

/* 0, or the Modbus exception for a read of [addr, addr + count). */
int
regmap_check_read(enum reg_space space, unsigned addr, unsigned count,
    int nconn)
{
	return block_of(space, addr, count, nconn) < 0 ?
	    MB_EXC_ILLEGAL_ADDRESS : 0;
}

/*
 * 0, or the Modbus exception for a write of vals to holding registers
 * [addr, addr + count): 02 outside the map, 03 for any refused value
 * (then nothing of the write may be applied).
 */
int
regmap_check_write(unsigned addr, unsigned count, const uint16_t *vals,
    int nconn, const uint16_t conn_max_da[])
{
	int	 blk = block_of(REG_HOLDING, addr, count, nconn);
	unsigned base = (unsigned)(blk < 0 ? 0 : blk) * REGMAP_CONN_BASE;

	if (blk < 0)
		return MB_EXC_ILLEGAL_ADDRESS;
	for (unsigned i = 0; i < count; i++) {
		unsigned off = addr + i - base;
		const struct reg_def *d;

		for (d = regmap; d->name != NULL; d++)
			if (d->space == REG_HOLDING &&
			    d->block == (blk ? REG_CONN : REG_UNIT) &&
			    d->offset == off)
				break;
		if (d->name == NULL)
			return MB_EXC_ILLEGAL_ADDRESS;
		if (vals[i] == 0 && d->zero_ok)
			continue;
		if (vals[i] < d->min || vals[i] > d->max)
			return MB_EXC_ILLEGAL_VALUE;
		/* A setpoint also stays within its connector's maximum. */
		if (blk > 0 && d->field == offsetof(struct reg_conn_hold,
		    setpoint_da) && vals[i] > conn_max_da[blk - 1])
			return MB_EXC_ILLEGAL_VALUE;
	}
	return 0;
}

static void
print_rows(FILE *fp, enum reg_space space, enum reg_block block)
{
	const char *pfx = block == REG_CONN ? "+" : "";

	for (const struct reg_def *d = regmap; d->name != NULL; d++) {
		char	 addr[32], range[48] = "";

		if (d->space != space || d->block != block)
			continue;
		if (d->width == 1)
			snprintf(addr, sizeof(addr), "%s%u", pfx, d->offset);
		else
			snprintf(addr, sizeof(addr), "%s%u-%s%u", pfx, d->offset,
			    pfx, d->offset + d->width - 1);
		if (space == REG_HOLDING && d->min == d->max)
			snprintf(range, sizeof(range), " %s%u |",
			    d->zero_ok ? "0 or " : "", d->min);
		else if (space == REG_HOLDING)
			snprintf(range, sizeof(range), " %s%u-%u |",
			    d->zero_ok ? "0 or " : "", d->min, d->max);
		fprintf(fp, "| %s | `%s` | %s | %s |%s %s |\n", addr, d->name,
		    d->type == RT_U32 ? "uint32" : d->type == RT_S16 ? "int16" :
		    d->type == RT_STR ? "string" : "uint16",
		    *d->unit ? d->unit : "-", range, d->desc);
	}
}

/* The reference tables of docs/protocol.md, generated from the table. */
void
regmap_print_markdown(void *fpv)
{
	FILE	*fp = fpv;

	fprintf(fp, "### Input registers (function 04), unit block\n\n"
	    "| address | name | type | unit | description |\n"
	    "|---|---|---|---|---|\n");
	print_rows(fp, REG_INPUT, REG_UNIT);
	fprintf(fp, "\n### Input registers (function 04), connector n at "
	    "100 x n\n\n"
	    "| address | name | type | unit | description |\n"
	    "|---|---|---|---|---|\n");
	print_rows(fp, REG_INPUT, REG_CONN);
	fprintf(fp, "\n### Holding registers (functions 03, 06, 16), unit "
	    "block\n\n"
	    "| address | name | type | unit | accepted | description |\n"
	    "|---|---|---|---|---|---|\n");
	print_rows(fp, REG_HOLDING, REG_UNIT);
	fprintf(fp, "\n### Holding registers (functions 03, 06, 16), connector "
	    "n at 100 x n\n\n"
	    "| address | name | type | unit | accepted | description |\n"
	    "|---|---|---|---|---|---|\n");
	print_rows(fp, REG_HOLDING, REG_CONN);
}
