/*
 * ocppcap.h: one charger's OCPP charging profiles in the master: the
 * CSMS's Smart Charging calls answered (ocppprof.h), the profiles kept in
 * the database across restarts, and their cap put on the site's
 * connectors (site_ocpp_cap_set). All in the loop thread; the OCPP glue
 * (ocpp.c) holds one struct ocppcap per charge point.
 */
#ifndef EVG_OCPPCAP_H
#define EVG_OCPPCAP_H

#include <stdint.h>

#include <jansson.h>

#include "ocppprof.h"

struct master;

struct ocppcap {
	struct ocppprof	 prof;
	struct master	*m;
	int		 peer;		/* the charger (master's peers) */
	char		 identity[49];
};

/* Starts with the profiles the database kept for this identity (none:
 * none; a row that does not load is logged and dropped). */
void	 ocppcap_init(struct ocppcap *, struct master *, int peer,
	    const char *identity);
/* A CALL of the CSMS: SetChargingProfile, ClearChargingProfile,
 * GetCompositeSchedule, with the transaction on its connector (0: none,
 * or the one ocppcap_tx_started said): the CALLRESULT's payload (NULL:
 * not one of these). A change is saved and in force at once. */
json_t	*ocppcap_call(struct ocppcap *, const char *action, const json_t *req,
	    int32_t txid, int64_t wall_ms);
/* A transaction began or ended on a connector (1..n): Relative
 * schedules count from its start; its TxProfiles go at its end. */
void	 ocppcap_tx_started(struct ocppcap *, int connector, int tx_id,
	    int64_t start_wall_ms);
void	 ocppcap_tx_ended(struct ocppcap *, int connector);
/* The caps in force now onto the site: once a second (a schedule moves
 * with the clock), before the allocation. */
void	 ocppcap_apply(struct ocppcap *, int64_t wall_ms);
/* The charger leaves OCPP: no cap any more (the profiles stay saved). */
void	 ocppcap_stop(struct ocppcap *);

#endif
