/*
 * ocpp.h: the master's chargers as OCPP 1.6J charge points of a CSMS
 * (docs/ocpp.md): one ocppcore a charger with `ocpp` on, run in the loop
 * thread from the chargers' last polls, its texts over ocppnet (a thread
 * of its own), its records in the database through ocppstore (another),
 * its operations carried out with the site's own commands (site_command),
 * so that they are checked and logged as an operator's are.
 */
#ifndef EVG_OCPP_H
#define EVG_OCPP_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

struct master;
struct ocpp;

/* What the status, web UI and console show (ocppui reads it). */
enum ocpp_link { OCPP_OFF, OCPP_CONNECTING, OCPP_BOOTING /* up, not accepted */,
	OCPP_ACCEPTED, OCPP_PENDING, OCPP_REJECTED };

struct ocpp_cp_status {
	char	 identity[49];
	int	 link;			/* enum ocpp_link */
	int64_t	 last_msg_ms;		/* since the epoch; 0 none */
	int	 queued;		/* transaction messages waiting */
	char	 why[96];		/* the last DOWN's or rejection's reason */
};

const char *ocpp_link_name(int link);	/* "off", "connecting", ... */

/* Starts every charge point (ocpp.enabled); 0 or -1 (logged). */
int	ocpp_start(struct master *, uv_loop_t *);
void	ocpp_stop(struct master *);
/* Any thread: charger (its index among the chargers) as the status shows
 * it; OCPP_OFF for one that is no charge point. 0, -1 out of range. */
int	ocpp_status(const struct ocpp *, int charger_index,
	    struct ocpp_cp_status *out);
/* The site (authorisation csms, rfid+csms): a tag presented at
 * connector k (1, 2) of charger peer. The answer comes as the site's
 * authorise command or an rfid-refused event. false: that charger is no
 * charge point (refused by the caller). */
bool	ocpp_authorize(struct ocpp *, int peer, int k, const char *tag);

#endif
