/*
 * led.h: what a connector's LED shows. Colours and sequences follow the
 * io7 manual (white booting, green ready, magenta cable in, yellow
 * waiting, blue blinking charging, blue solid postponed, red sequences for
 * faults). The code is what the register map exposes (docs/protocol.md):
 * the firmware sets it, the master shows its name and colour.
 */
#ifndef EVG_LED_H
#define EVG_LED_H

enum led_colour {
	LED_C_OFF, LED_C_WHITE, LED_C_GREEN, LED_C_MAGENTA, LED_C_YELLOW,
	LED_C_BLUE, LED_C_RED,
};

enum led_pattern { LED_P_SOLID, LED_P_BLINK, LED_P_SEQUENCE };

enum led_code {
	LED_OFF = 0,
	LED_BOOTING,		/* white */
	LED_READY,		/* green */
	LED_CABLE_IN,		/* magenta: waiting for authorisation */
	LED_WAITING,		/* yellow: authorised, waiting for the car */
	LED_CHARGING,		/* blue blinking */
	LED_POSTPONED,		/* blue solid: paused by the site */
	LED_SUSPENDED_EV,	/* magenta / blue: the car stopped */
	LED_OUT_OF_SERVICE,	/* magenta / yellow: locked */
	LED_FAULT_TEMPERATURE,	/* red / white / yellow */
	LED_FAULT_VOLTAGE,	/* red / white / green */
	LED_FAULT_DIODE,	/* red / blue */
	LED_FAULT_RESIDUAL,	/* red / blue / magenta */
	LED_FAULT_AC_SAFETY,	/* red / yellow: PEN, contactor */
	LED_FAULT_PILOT,	/* red / green */
	LED_FAULT_METER,	/* red / magenta: internal meter timeout */
	LED_FAULT_OVERCURRENT,	/* red blinking */
	LED_CODE_COUNT,
};

struct led_look {
	const char	*name;
	enum led_pattern pattern;
	enum led_colour	 colour[3];	/* sequence; LED_C_OFF ends it */
};

const struct led_look	*led_look(enum led_code);
const char		*led_colour_name(enum led_colour);

#endif
