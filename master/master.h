/*
 * master.h: the evgroup-master process: configuration, one link per
 * charger, the poll cycle and its statistics; what each file of the
 * master's loop offers the others.
 */
#ifndef EVG_MASTER_H
#define EVG_MASTER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "linesrv.h"
#include "linkcore.h"
#include "log.h"
#include "master_config.h"
#include "mqtt.h"
#include "publish.h"
#include "site.h"
#include "siteapi.h"
#include "store.h"
#include "web.h"
#include "webhook.h"

#define MLOG(m, lvl, ...) do {						\
	if ((int)(lvl) <= (m)->conf->site.log_level)			\
		log_at((lvl), __VA_ARGS__);				\
} while (0)

#define MASTER_CYCLE_RING	4096	/* cycles kept for percentiles */
/* A round waits this long for the chargers' answers before the site is
 * allocated without the late ones (a charger on the site's network
 * answers a poll in a few milliseconds; a late one's older reading then
 * stands, and the cycle counts it at its worst). */
#define MASTER_ROUND_WAIT_MS	250

struct master;
struct sockconn;

struct peer {
	struct master		*m;
	const struct charger_conf *cc;
	struct link_peer	 link;
	uint16_t		 tid;		/* Modbus transaction id */
	struct sockconn		*sc;		/* current connection */
	uv_timer_t		 timer;
	uint64_t		 cycle_done_ms;	/* poll of this round ended */
	bool			 in_round;	/* its answer is awaited */
	/* session bookkeeping per connector, for the store */
	uint32_t		 open_no[REGMAP_MAX_CONN];
	int64_t			 open_start[REGMAP_MAX_CONN];
	uint64_t		 open_saved_ms[REGMAP_MAX_CONN];
	int32_t			 open_peak[REGMAP_MAX_CONN];
	bool			 recovered[REGMAP_MAX_CONN];	/* from the db */
	struct store_open_session recovered_row[REGMAP_MAX_CONN];
	bool			 cycle_ok;
	bool			 have_prev;
	struct reg_unit		 prev_unit;
	struct reg_conn		 prev_conn[REGMAP_MAX_CONN];
	char			 ask_who[REGMAP_MAX_CONN][32];	/* link.ask */
};

struct cycle_stats {
	uint64_t	 cycles;
	uint32_t	 ring[MASTER_CYCLE_RING];	/* ms, live chargers */
	uint64_t	 overruns;	/* polls still running at the next */
	uint32_t	 jitter[MASTER_CYCLE_RING];	/* us off the period */
	uint64_t	 njitter;
};

struct master {
	uv_loop_t		*loop;
	const struct master_config *conf;
	struct master_config	*conf_rw;	/* runtime changes (site.c) */
	struct link_params	 lp;
	struct peer		*peers;
	int			 npeers;
	uv_timer_t		 cycle_timer;
	/* the round: every charger that answers, polled together */
	uv_timer_t		 round_timer;
	int			 round_left;	/* answers awaited */
	bool			 round_waiting;	/* the site waits for them */
	uint64_t		 cycle_start_ms;	/* of the round */
	uint64_t		 cycle_start_us;	/* uv_hrtime, for jitter */
	bool			 cycle_open;
	uint64_t		 meter_seen_ms;	/* the last meter result */
	struct cycle_stats	 stats;
	uv_signal_t		 sigint, sigterm;
	bool			 stopping;
	/* Circuits renamed since the start, in force under their old name
	 * until the restart: each one's saved name and the name it runs
	 * under, so that its limits changed meanwhile change at once */
	struct {
		char	 saved[MASTER_NAME_LEN], running[MASTER_NAME_LEN];
	}			 circ_renamed[MASTER_MAX_CIRCUITS];
	int			 ncirc_renamed;
	struct site		 site;
	struct linesrv		 ctl;		/* operators' control socket */
	struct store		*store;		/* opened by main, may be idle */
	bool			 store_failing;
	/* the configuration as saved (the API changes it; what needs a
	 * restart waits here until the next start) */
	struct master_config	*saved;
	bool			 restart_pending;	/* saved != running */
	int			 npending;	/* settings that differ */
	bool			 restart_requested;	/* by an installer */
	uv_timer_t		 restart_timer;
	void			(*on_stop)(void *arg);	/* main's signals */
	void			*on_stop_arg;
	struct web		 web;
	bool			 web_on;
	struct publisher	 pub;
	struct rfid_entry	*rfid;		/* whitelist, RFID_MAX */
	int			 nrfid;
	struct recent_event	 recent[MASTER_RECENT];
	int			 recent_head, nrecent;
	struct alarm_book	*book;		/* active alarms (alarms.c) */
	struct webhook		 hook;		/* their receiver's thread */
	struct mqtt		 mqtt;		/* [mqtt] enabled: mqtt_on */
	bool			 mqtt_on;
	struct bms		*bms;		/* [bms]: its server (bms.c) */
	struct ocpp		*ocpp;		/* [ocpp] enabled (ocpp.c) */
};

/* master.c: the loop's start-up, its cycle timer, shutdown and restart */
int	master_start(struct master *, uv_loop_t *, struct master_config *,
	    struct store *, const char *db_note);
void	master_stop(struct master *);
void	master_free(struct master *);
void	master_publish_status(struct master *);
void	master_restart(struct master *);

/* link.c: the chargers' connections, the rounds of polls, their figures */
void	master_round(struct master *, uint64_t now_ms);
void	master_write_now(struct master *, const struct site_writes *,
	    uint64_t now_ms);
void	master_write_stats(const struct master *);
void	master_link_close(struct master *);

/* changes.c: what each poll changed, logged and recorded */
void	changes_log(struct peer *);

/* sessions.c: the chargers' sessions in the store */
void	sessions_track(struct peer *, uint64_t now_ms);
int	sessions_recover(struct master *);

/* events.c: events, recorded, kept among the newest, streamed */
void	master_event(struct master *, int severity, const char *source,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

#endif
