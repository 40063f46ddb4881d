/*
 * slave.c: one tick of the charger (hardware physics, sample, step the
 * core, drive outputs) and the control commands and status line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "io.h"
#include "slave.h"

int
slave_init(struct slave *s, const struct slave_config *conf, uint64_t now)
{
	struct fw_cfg fc;
	enum phase_conn phases[HAL_MAX_CONNECTORS];

	memset(s, 0, sizeof(*s));
	s->conf = *conf;
	slave_config_to_fw(conf, &fc);
	if (fw_init(&s->fw, &fc, now) != 0)
		return -EINVAL;
	for (int i = 0; i < HAL_MAX_CONNECTORS; i++)
		phases[i] = fc.conn[i].phase;
	sim_hw_init(&s->sim, fc.nconn, phases);
	s->hal.ops = &sim_hal_ops;
	s->hal.hw = &s->sim;
	s->start_ms = now;
	return 0;
}

void
slave_tick(struct slave *s, uint64_t now_ms)
{
	struct fw_in in;

	sim_hw_step(&s->sim, now_ms);
	io_gather(&s->hal, s->fw.cfg.nconn, &in);
	fw_step(&s->fw, &in, now_ms, &s->out);
	io_apply(&s->hal, s->fw.cfg.nconn, &s->out);
	s->ticks++;
	s->last_tick_ms = now_ms;
}

/* Firmware commands answer like the register map will: why, if refused. */
static int
exec_fw(struct slave *s, const struct ctl_cmd *c, uint64_t now, char **reply)
{
	static const enum fw_cmd map[] = {
		[CTL_AUTHORISE] = FW_CMD_AUTHORISE, [CTL_STOP] = FW_CMD_STOP,
		[CTL_LOCK] = FW_CMD_LOCK, [CTL_UNLOCK] = FW_CMD_UNLOCK,
		[CTL_RESET] = FW_CMD_RESET,
	};
	int	 rc;

	if (c->verb == CTL_SETPOINT) {
		rc = fw_setpoint(&s->fw, c->conn, (int32_t)c->value);
		if (rc == -EBUSY) {
			*reply = strdup("error: setpoint: the master is silent; "
			    "no more than the fallback current until it is back");
			return rc;
		}
		if (rc != 0) {
			char	 msg[96];

			snprintf(msg, sizeof(msg), "error: setpoint: must be 0 "
			    "or 6.0-%d.%d A", s->fw.cfg.conn[c->conn].max_da / 10,
			    s->fw.cfg.conn[c->conn].max_da % 10);
			*reply = strdup(msg);
			return rc;
		}
		*reply = strdup("ok");
		return 0;
	}
	rc = fw_command(&s->fw, c->conn, map[c->verb], now);
	if (rc == -EBUSY)
		*reply = strdup(c->verb == CTL_RESET ?
		    "error: reset: the fault condition is still present" :
		    "error: connector is locked or has a latched fault");
	else if (rc != 0)
		*reply = strdup("error: command refused");
	else
		*reply = strdup("ok");
	return rc;
}

/*
 * Executes a parsed command. *reply is a malloc'd line without newline.
 */
int
slave_exec(struct slave *s, const struct ctl_cmd *c, uint64_t now,
    char **reply)
{
	struct sim_hw *hw = &s->sim;
	struct sim_car *car;

	if (c->conn < 0 || c->conn >= s->fw.cfg.nconn) {
		*reply = strdup("error: no such connector");
		return -EINVAL;
	}
	car = &hw->conn[c->conn].car;

	switch (c->verb) {
	case CTL_STATUS:
		*reply = slave_status_json(s, now);
		return 0;
	case CTL_HELP:
		*reply = strdup(ctl_help);
		return 0;
	case CTL_PLUG:
	case CTL_UNPLUG:
		sim_car_plug(hw, c->conn, c->verb == CTL_PLUG);
		break;
	case CTL_CAR_WANT:
		car->want = (enum car_want)c->value;
		break;
	case CTL_CAR_MAX:
		car->max_da = (int32_t)c->value;
		break;
	case CTL_CAR_PHASES:
		car->phases = (int)c->value;
		break;
	case CTL_CAR_LAG:
		car->lag_ms = (uint32_t)c->value;
		break;
	case CTL_CAR_SOC:
		car->battery_uwh = car->capacity_uwh * (uint64_t)c->value / 100;
		break;
	case CTL_CAR_CAPACITY: {
		int soc = sim_car_soc_pm(car);

		car->capacity_uwh = (uint64_t)c->value * 1000 * 1000000;
		car->battery_uwh = car->capacity_uwh * (uint64_t)soc / 1000;
		break;
	}
	case CTL_CAR_STUBBORN:
		car->stubborn = c->value != 0;
		break;
	case CTL_FAULT:
	case CTL_CLEAR:
		(void)sim_fault(hw, c->conn, (enum sim_fault)c->value,
		    c->verb == CTL_FAULT);
		break;
	case CTL_TEMP:
		hw->temp_ddeg = (int32_t)c->value;
		break;
	case CTL_VOLTAGE:
		hw->ln_dv[c->phase] = (int32_t)c->value;
		break;
	case CTL_PE:
		hw->pe_dv = (int32_t)c->value;
		break;
	case CTL_RFID:
		memcpy(hw->conn[c->conn].rfid, c->tag, sizeof(c->tag));
		hw->conn[c->conn].rfid_has = true;
		break;
	case CTL_SETPOINT:
	case CTL_AUTHORISE:
	case CTL_STOP:
	case CTL_LOCK:
	case CTL_UNLOCK:
	case CTL_RESET:
		return exec_fw(s, c, now, reply);
	}
	*reply = strdup("ok");
	return 0;
}

/* One control-socket line in, one malloc'd reply line out. */
char *
slave_control_line(struct slave *s, const char *line, uint64_t now)
{
	struct ctl_cmd cmd;
	char	 err[CTL_MAX_LINE + 64], msg[CTL_MAX_LINE + 80];
	char	*out = NULL;

	if (ctl_parse(line, s->fw.cfg.nconn, &cmd, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "error: %s", err);
		return strdup(msg);
	}
	(void)slave_exec(s, &cmd, now, &out);
	return out;
}

static json_t *
faults_json(uint32_t bits)
{
	json_t	*a = json_array();

	for (int f = 0; f < F_COUNT; f++)
		if (bits & FAULT_BIT(f))
			json_array_append_new(a, json_string(fault_name(f)));
	return a;
}

static json_t *
deci_array(const int32_t v[EVG_PHASES])
{
	json_t	*a = json_array();

	for (int p = 0; p < EVG_PHASES; p++)
		json_array_append_new(a, json_real(v[p] / 10.0));
	return a;
}

static json_t *
conn_json(const struct slave *s, int i, uint64_t now)
{
	const struct fw_conn *c = &s->fw.conn[i];
	const struct sim_conn *sc = &s->sim.conn[i];
	const struct sim_car *car = &sc->car;
	const struct led_look *look = led_look(c->led);
	const struct fw_session *se = &c->sess;
	json_t	*led_seq = json_array();
	uint64_t dur_ms = se->active ? now - se->start_ms :
	    se->end_ms - se->start_ms;
	static const char *const drives[] = { "+12V", "pwm", "-12V" };
	static const char *const wants[] = { "stop", "charge", "ventilate" };

	for (int k = 0; k < 3 && look->colour[k] != LED_C_OFF; k++)
		json_array_append_new(led_seq,
		    json_string(led_colour_name(look->colour[k])));
	return json_pack(
	    "{s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:f, s:f, s:f, s:f,"
	    " s:o, s:I, s:b, s:b, s:b,"
	    " s:{s:s, s:o, s:i},"
	    " s:{s:b, s:i, s:I, s:I, s:f, s:s, s:s},"
	    " s:{s:b, s:s, s:f, s:i, s:i, s:i, s:b, s:b, s:f}}",
	    "connector", i + 1,
	    "phase", phase_conn_name(s->fw.cfg.conn[i].phase),
	    "state", conn_state_name(c->state),
	    "cp", c->cp.valid ? cp_state_name(c->cp_state) : "unknown",
	    "pilot", drives[c->drive],
	    "faults", faults_json(c->faults),
	    "latched", faults_json(c->latched | c->until_unplug),
	    "setpoint", c->setpoint_da / 10.0,
	    "offer", c->offer_da / 10.0,
	    "duty", c->duty_pm / 10.0,
	    "max_current", s->fw.cfg.conn[i].max_da / 10.0,
	    "current", deci_array(c->site_da),
	    "total_energy_wh", (json_int_t)c->energy_wh,
	    "contactor", c->close_cmd,
	    "contactor_feedback", c->closed_fb,
	    "rcm_test_passed", c->rcm_test == RCM_TEST_PASSED,
	    "led", "code", look->name, "colours", led_seq, "value", c->led,
	    "session", "active", se->active, "number", se->number,
	    "energy_wh", (json_int_t)se->energy_wh,
	    "duration_s", (json_int_t)(dur_ms / 1000),
	    "peak_current", se->peak_da / 10.0,
	    "stop_reason", stop_reason_name(se->reason),
	    "tag", se->tag,
	    "car", "plugged", car->plugged, "want", wants[car->want],
	    "max", car->max_da / 10.0, "phases", car->phases,
	    "lag_ms", (int)car->lag_ms, "soc", sim_car_soc_pm(car) / 10,
	    "stubborn", car->stubborn, "s2_closed", car->s2_closed,
	    "draw", car->draw_da / 10.0);
}

/* The one-line JSON status of the control interface (docs/slave.md). */
char *
slave_status_json(const struct slave *s, uint64_t now)
{
	static const char *const status[] = { "normal", "fallback", "fault",
	    "booting" };
	json_t	*conns = json_array(), *root;
	char	*text;

	for (int i = 0; i < s->fw.cfg.nconn; i++)
		json_array_append_new(conns, conn_json(s, i, now));
	root = json_pack("{s:s, s:I, s:s, s:I, s:I, s:f, s:o, s:f, s:o, s:{s:b, s:b, s:i, s:f, s:i}}",
	    "serial", s->conf.serial,
	    "ticks", (json_int_t)s->ticks,
	    "status", status[s->fw.status],
	    "uptime_s", (json_int_t)((now - s->start_ms) / 1000),
	    "uptime_ms", (json_int_t)(now - s->start_ms),
	    "temperature", s->fw.temp_ddeg / 10.0,
	    "voltage", deci_array(s->fw.ln_dv),
	    "pe_voltage", s->fw.pe_dv / 10.0,
	    "connectors", conns,
	    "link", "enabled", s->fw.cfg.master_link, "fallback", s->fw.fallback,
	    "heartbeat", s->fw.heartbeat,
	    "fallback_current", s->fw.cfg.fallback_da / 10.0,
	    "fallback_timeout_s", (int)(s->fw.cfg.fallback_timeout_ms / 1000));
	if (root == NULL)
		return strdup("error: status unavailable");
	text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(root);
	return text != NULL ? text : strdup("error: status unavailable");
}
