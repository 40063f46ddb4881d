/*
 * charger.h: the charger vocabulary that the firmware and the master
 * share through the register map: a connector's state as its charger
 * reports it (register 100n+1, docs/protocol.md).
 */
#ifndef EVG_CHARGER_H
#define EVG_CHARGER_H

enum conn_state {
	CS_AVAILABLE = 0,
	CS_WAIT_AUTH = 1,	/* car plugged in, not authorised */
	CS_AUTH_WAIT_CAR = 2,	/* authorised, the car has not started */
	CS_CHARGING = 3,
	CS_NO_CURRENT = 4,		/* waiting for current: offer 0 */
	CS_SUSPENDED_EV = 5,	/* offer > 0, the car stays in B */
	CS_FAULT = 6,
	CS_LOCKED = 7,		/* out of service */
};

#endif
