/*
 * ocppview.c: OCPP as the status, /metrics and the console show it: each
 * charger's link to the CSMS (the glue's ocpp_status(), master/ocpp.c)
 * and the site's count of charge points accepted. A charger that is no
 * charge point (OCPP off, or its own ocpp = no) has no view.
 */
#include <stdio.h>
#include <string.h>

#include "master.h"
#include "ocpp.h"
#include "site.h"

/*
 * Charger i's (the master's peers' order) OCPP link into out: false
 * when it is no charge point (out cleared).
 */
bool
ocppview_charger(const struct master *m, int i, struct snap_ocpp *out)
{
	const struct charger_conf *cc = m->peers[i].cc;
	struct ocpp_cp_status st;

	memset(out, 0, sizeof(*out));
	out->link = "off";
	if (!m->conf->ocpp.enabled || !cc->ocpp)
		return false;
	snprintf(out->identity, sizeof(out->identity), "%s",
	    master_config_ocpp_identity(cc));
	/* NULL: the glue did not start (logged); every link is off */
	if (m->ocpp != NULL && ocpp_status(m->ocpp, i, &st) == 0) {
		out->link = ocpp_link_name(st.link);
		out->last_msg_ms = st.last_msg_ms;
		out->queued = st.queued;
		snprintf(out->why, sizeof(out->why), "%s", st.why);
	}
	return true;
}

/* Is the link up and the charge point accepted by the CSMS? */
bool
ocppview_accepted(const struct snap_ocpp *o)
{
	return strcmp(o->link, "accepted") == 0;
}

/* The site's part of the snapshot: on or off, the CSMS's address, how
 * many charge points it has accepted of how many. After the chargers'. */
void
ocppview_site(const struct master *m, struct site_snap *sn)
{
	sn->ocpp.enabled = m->conf->ocpp.enabled;
	snprintf(sn->ocpp.url, sizeof(sn->ocpp.url), "%s",
	    m->conf->ocpp.url);
	sn->ocpp.connected = sn->ocpp.total = 0;
	for (int i = 0; i < sn->nch; i++) {
		if (!sn->chargers[i].ocpp_cp)
			continue;
		sn->ocpp.total++;
		if (ocppview_accepted(&sn->chargers[i].ocpp))
			sn->ocpp.connected++;
	}
}
