/*
 * ocppprof.h: one charge point's OCPP 1.6 Smart Charging profiles
 * (SetChargingProfile, ClearChargingProfile, GetCompositeSchedule): parse
 * and validate them, keep them stacked, say the limit in force at a time.
 * Pure: no clock (the wall time comes in), no I/O; jansson in and out.
 * The caller allocates struct ocppprof (ocppprof_init), one per charger.
 *
 * How the limits combine (OCPP 1.6 section 3.13, docs/ocpp.md "Smart
 * charging"):
 * - within one purpose, the profile with the highest stackLevel that is
 *   valid (validFrom/validTo) and whose schedule covers the time wins;
 * - on a connector, a TxProfile in force overrides the TxDefaultProfile
 *   (one set on that connector before one set on connector 0);
 * - the ChargePointMaxProfile caps the charger's total: each connector is
 *   capped at it (ocppprof_cap_da) and the site shares it among the
 *   connectors that want current (site_ocpp_cap_set, site.h).
 * Currents are in 0.1 A per phase; a limit in W becomes amps with the
 * larger of the period's numberPhases and the connector's wiring, so the
 * power is never exceeded.
 */
#ifndef EVG_OCPPPROF_H
#define EVG_OCPPPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define OCPPPROF_MAX_CONN	4	/* connectors 1..3 of one charger */
/* What the configuration keys tell the CSMS (ocppops.c, docs/ocpp.md):
 * MaxChargingProfilesInstalled, ChargingScheduleMaxPeriods,
 * ChargeProfileMaxStackLevel. Keep them the same. */
#define OCPPPROF_MAX_PROFILES	16
#define OCPPPROF_MAX_PERIODS	24
#define OCPPPROF_MAX_STACK	8
#define OCPPPROF_NOMINAL_V	230	/* DOMAIN.md: the nominal L-N voltage */

enum ocppprof_purpose {
	OCPPPROF_CP_MAX = 0,		/* ChargePointMaxProfile */
	OCPPPROF_TX_DEFAULT,		/* TxDefaultProfile */
	OCPPPROF_TX,			/* TxProfile */
	OCPPPROF_PURPOSES
};
enum ocppprof_kind { OCPPPROF_ABSOLUTE, OCPPPROF_RECURRING,
	OCPPPROF_RELATIVE };

struct ocppprof_period {
	int32_t		 start_s;	/* startPeriod, from the start */
	int32_t		 limit_x10;	/* 0.1 A or 0.1 W */
	int8_t		 phases;	/* numberPhases; 0 not given */
};

struct ocppprof_profile {
	int32_t		 id;		/* chargingProfileId */
	int32_t		 tx_id;		/* transactionId; 0 none */
	int16_t		 stack;		/* stackLevel */
	uint8_t		 connector;	/* 0: the charge point / every one */
	uint8_t		 purpose;	/* enum ocppprof_purpose */
	uint8_t		 kind;		/* enum ocppprof_kind */
	uint8_t		 weekly;	/* Recurring: 0 Daily, 1 Weekly */
	uint8_t		 watts;		/* chargingRateUnit W (else A) */
	int64_t		 valid_from_ms;	/* wall, since the epoch; 0 none */
	int64_t		 valid_to_ms;	/* 0 none */
	int64_t		 start_ms;	/* startSchedule; 0 none */
	int32_t		 duration_s;	/* 0 none (open-ended) */
	int32_t		 min_rate_x10;	/* minChargingRate; -1 none */
	int		 nperiods;
	struct ocppprof_period period[OCPPPROF_MAX_PERIODS];
};

struct ocppprof {
	int		 nconn;		/* connectors 1..nconn */
	int32_t		 max_da;	/* a connector's rating: the composite
					 * schedule's limit where no profile
					 * limits */
	int32_t		 tx_id[OCPPPROF_MAX_CONN];	/* 0: none */
	int64_t		 tx_start_ms[OCPPPROF_MAX_CONN];/* Relative's start */
	int		 nprof;
	struct ocppprof_profile prof[OCPPPROF_MAX_PROFILES];
};

void	 ocppprof_init(struct ocppprof *, int nconnectors, int32_t max_da);

/* SetChargingProfile.req's csChargingProfiles for a connector (0: the
 * charge point). transaction_id_or_0: the transaction running on that
 * connector. 0 Accepted, -1 Rejected (why says why), -2 NotSupported.
 * A profile with the same chargingProfileId, or the same stackLevel and
 * purpose on the same connector, replaces the old one (1.6, 5.16). */
int	 ocppprof_set(struct ocppprof *, int connector,
	    const json_t *cs_charging_profiles, int transaction_id_or_0,
	    char *why, size_t);
/* ClearChargingProfile.req: by id, or by connectorId / purpose /
 * stackLevel (all given must match; none given clears all). 0 Accepted
 * (something cleared), 1 Unknown. */
int	 ocppprof_clear(struct ocppprof *, const json_t *clear_request);
/* GetCompositeSchedule.conf's payload for connector (0: the charge
 * point's total) from now for duration_s, in "A" or "W" (NULL: A).
 * NULL: Rejected (a bad connector, duration or unit). */
json_t	*ocppprof_composite(const struct ocppprof *, int connector,
	    int duration_s, const char *unit_or_null, int64_t now_wall_ms,
	    int phases, int voltage);
/* The cap in force now on a connector, in 0.1 A per phase (INT32_MAX
 * none). Connector 0: the ChargePointMaxProfile alone (the charger's
 * total, which the site shares); connector n: the lower of its
 * TxProfile / TxDefaultProfile and the ChargePointMaxProfile. phases:
 * the connector's wiring (1 or 3), voltage: in V (0: nominal). */
int32_t	 ocppprof_cap_da(const struct ocppprof *, int connector,
	    int64_t now_wall_ms, int phases, int voltage);
/* A transaction started (Relative schedules count from its start) or
 * ended (its TxProfiles go). */
void	 ocppprof_tx_started(struct ocppprof *, int connector,
	    int transaction_id, int64_t start_wall_ms);
void	 ocppprof_tx_ended(struct ocppprof *, int connector);

/* One Smart Charging CALL of the CSMS ("SetChargingProfile",
 * "ClearChargingProfile", "GetCompositeSchedule") with its payload: the
 * CALLRESULT's payload, or NULL when the action is none of these. txid:
 * the transaction on the request's connector (0: the one
 * ocppprof_tx_started() said, if any).
 * phases[c]: connector c's wiring (1 or 3; phases[0] for connector 0),
 * voltage in V (0: nominal). *changed: the profiles changed (save them). */
json_t	*ocppprof_call(struct ocppprof *, const char *action,
	    const json_t *req, int32_t txid, int64_t now_wall_ms,
	    const int *phases,
	    int voltage, bool *changed);

/* The profiles for the store, and back: ocppprof_load() replaces the
 * profiles with the saved ones (0; -1 and nothing changed when the text
 * is not what ocppprof_save wrote). */
json_t	*ocppprof_save(const struct ocppprof *);
int	 ocppprof_load(struct ocppprof *, const json_t *);

/* Pure helpers, tested alone: RFC 3339 to ms since the epoch (0 ok, -1
 * bad) and back ("2026-11-27T04:00:00Z"; buf at least 21 bytes). */
int	 ocppprof_parse_time(const char *, int64_t *ms);
void	 ocppprof_format_time(int64_t ms, char *buf, size_t len);

#endif
