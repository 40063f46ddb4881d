/*
 * hal_sim.h: the simulated charger: pilot, contactor, residual current
 * monitor, supply, meter, LED and RFID reader, and the car on each
 * connector (plug, S2, ventilation, diode, maximum current, phases,
 * response lag, battery with taper). Faults can be injected and cleared.
 * sim_hw_step() advances the physics; the firmware sees it only through
 * the hal_ops in sim_hal_ops.
 */
#ifndef EVG_HAL_SIM_H
#define EVG_HAL_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"
#include "units.h"

enum sim_fault {
	SIM_RCM_AC,		/* 30 mA AC residual current */
	SIM_RCM_DC,		/* 6 mA DC residual current */
	SIM_RCM_SELFTEST,	/* the monitor ignores its test line */
	SIM_DIODE,		/* the car's pilot diode is shorted */
	SIM_PILOT_SHORT,	/* pilot shorted to earth: state E */
	SIM_WELD,		/* contacts weld: stay closed once closed */
	SIM_NO_CLOSE,		/* contacts do not make */
	SIM_OVERDRAW,		/* the car draws 4 A more than offered */
	SIM_METER,		/* the connector's meter stops answering */
	SIM_OVERTEMP,		/* enclosure at 90 degC (unit-wide) */
	SIM_OVERVOLTAGE,	/* 260 V L-N on every phase (unit-wide) */
	SIM_UNDERVOLTAGE,	/* 200 V L-N on every phase (unit-wide) */
	SIM_PEN,		/* PE 80 V above true earth (unit-wide) */
	SIM_PILOT_BOUNCE,	/* the pilot reads B and A in turn (a loose plug) */
	SIM_PILOT_SENSOR,	/* the pilot cannot be read */
	SIM_FEEDBACK_SENSOR,	/* the auxiliary contact cannot be read */
	SIM_RCM_SENSOR,		/* the residual current monitor cannot be read */
	SIM_VOLTAGE_SENSOR,	/* L-N voltages cannot be read (unit-wide) */
	SIM_PE_SENSOR,		/* the PE voltage cannot be read (unit-wide) */
	SIM_TEMP_SENSOR,	/* the temperature cannot be read (unit-wide) */
	SIM_RUNAWAY,		/* the car draws its own maximum, whatever the
				 * pilot offers */
	SIM_FAULT_COUNT
};

enum car_want { CAR_IDLE, CAR_CHARGE, CAR_VENTILATE };

#define SIM_NOMINAL_DV		2300
#define SIM_AMBIENT_DDEG	250
#define SIM_OVERDRAW_DA		40
#define SIM_DEFAULT_LAG_MS	2000
#define SIM_MAX_LAG_MS		5000
/* Above this state of charge the car's current tapers to 6 A at full. */
#define SIM_TAPER_FROM_PM	800

struct sim_car {
	bool		plugged;
	enum car_want	want;
	int32_t		max_da;		/* on-board charger, per phase */
	int		phases;		/* 1 or 3 */
	uint32_t	lag_ms;		/* to follow a duty-cycle change */
	bool		stubborn;	/* ignores PWM off, keeps drawing */
	uint64_t	capacity_uwh;
	uint64_t	battery_uwh;
	/* dynamics */
	int32_t		pending_da;	/* what the pilot says */
	uint64_t	pending_since;
	int32_t		applied_da;	/* what the car follows */
	int32_t		last_offer_da;	/* last non-zero it followed */
	bool		s2_closed;
	int32_t		draw_da;
};

struct sim_conn {
	struct sim_car	car;
	enum phase_conn	phase;
	enum cp_drive	drive;
	uint16_t	duty_pm;
	bool		coil;
	bool		contacts;	/* physically closed */
	bool		rcm_test_line;
	uint32_t	faults;		/* 1 << enum sim_fault */
	bool		bounce_b;	/* the next bouncing sample reads B */
	uint64_t	energy_uwh;
	int32_t		line_da[EVG_PHASES];
	enum led_code	led;
	bool		rfid_has;
	char		rfid[HAL_RFID_LEN + 1];
};

struct sim_hw {
	int		nconn;
	struct sim_conn	conn[HAL_MAX_CONNECTORS];
	int32_t		ln_dv[EVG_PHASES];
	int32_t		pe_dv;
	int32_t		temp_ddeg;
	uint32_t	unit_faults;	/* unit-wide sensor failures */
	uint64_t	last_ms;
	bool		started;
};

extern const struct hal_ops sim_hal_ops;

void		sim_hw_init(struct sim_hw *, int nconn,
		    const enum phase_conn phases[]);
void		sim_hw_step(struct sim_hw *, uint64_t now_ms);
void		sim_car_plug(struct sim_hw *, int conn, bool plugged);
int		sim_fault(struct sim_hw *, int conn, enum sim_fault, bool on);
int		sim_fault_parse(const char *);
const char	*sim_fault_name(enum sim_fault);
int		sim_car_soc_pm(const struct sim_car *);

#endif
