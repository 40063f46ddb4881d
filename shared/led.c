/*
 * led.c: the LED codes and how each looks.
 */
#include "led.h"

static const struct led_look looks[LED_CODE_COUNT] = {
	[LED_OFF] = { "off", LED_P_SOLID, { LED_C_OFF } },
	[LED_BOOTING] = { "booting", LED_P_SOLID, { LED_C_WHITE } },
	[LED_READY] = { "ready", LED_P_SOLID, { LED_C_GREEN } },
	[LED_CABLE_IN] = { "cable-in", LED_P_SOLID, { LED_C_MAGENTA } },
	[LED_WAITING] = { "waiting", LED_P_SOLID, { LED_C_YELLOW } },
	[LED_CHARGING] = { "charging", LED_P_BLINK, { LED_C_BLUE } },
	[LED_POSTPONED] = { "postponed", LED_P_SOLID, { LED_C_BLUE } },
	[LED_SUSPENDED_EV] = { "suspended-ev", LED_P_SEQUENCE,
	    { LED_C_MAGENTA, LED_C_BLUE } },
	[LED_OUT_OF_SERVICE] = { "out-of-service", LED_P_SEQUENCE,
	    { LED_C_MAGENTA, LED_C_YELLOW } },
	[LED_FAULT_TEMPERATURE] = { "fault-temperature", LED_P_SEQUENCE,
	    { LED_C_RED, LED_C_WHITE, LED_C_YELLOW } },
	[LED_FAULT_VOLTAGE] = { "fault-voltage", LED_P_SEQUENCE,
	    { LED_C_RED, LED_C_WHITE, LED_C_GREEN } },
	[LED_FAULT_DIODE] = { "fault-diode", LED_P_SEQUENCE,
	    { LED_C_RED, LED_C_BLUE } },
	[LED_FAULT_RESIDUAL] = { "fault-residual-current", LED_P_SEQUENCE,
	    { LED_C_RED, LED_C_BLUE, LED_C_MAGENTA } },
	[LED_FAULT_AC_SAFETY] = { "fault-ac-safety", LED_P_SEQUENCE,
	    { LED_C_RED, LED_C_YELLOW } },
	[LED_FAULT_PILOT] = { "fault-pilot", LED_P_SEQUENCE,
	    { LED_C_RED, LED_C_GREEN } },
	[LED_FAULT_METER] = { "fault-meter", LED_P_SEQUENCE,
	    { LED_C_RED, LED_C_MAGENTA } },
	[LED_FAULT_OVERCURRENT] = { "fault-overcurrent", LED_P_BLINK,
	    { LED_C_RED } },
};

const struct led_look *
led_look(enum led_code c)
{
	return (unsigned)c < LED_CODE_COUNT ? &looks[c] : &looks[LED_OFF];
}

const char *
led_colour_name(enum led_colour c)
{
	static const char *const names[] = { "off", "white", "green",
	    "magenta", "yellow", "blue", "red" };

	return (unsigned)c <= LED_C_RED ? names[c] : "?";
}
