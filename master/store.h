/*
 * store.h: what the appliance records, in SQLite: events, sessions and
 * per-minute history. The loop only queues records (store_put never
 * touches the disk); one writer thread writes them in transactions at
 * least once a second. A power cut loses at most the last second.
 */
#ifndef EVG_STORE_H
#define EVG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "units.h"

#define STORE_SCHEMA		14
#define STORE_QUEUE_MAX		20000	/* records waiting for the disk (6.6 MB) */
#define STORE_BATCH_MS		1000	/* a transaction at least this often */
#define STORE_RETRY_MS		5000	/* after a failed write */

enum store_severity { SEV_INFO = 0, SEV_WARNING = 1, SEV_ALARM = 2 };

enum store_kind {
	STORE_EVENT,
	STORE_SESSION_OPEN,	/* a session seen for the first time */
	STORE_SESSION_UPDATE,	/* energy, peak so far */
	STORE_SESSION_CLOSE,
	STORE_HISTORY,		/* one minute of the site */
	STORE_CONFIG,		/* a setting changed at runtime */
	STORE_CONFIG_DELETE,	/* a whole section (a charger) removed */
	STORE_USER,		/* a login added or its password changed */
	STORE_USER_DELETE,
	STORE_RFID,		/* a whitelist tag added or changed */
	STORE_RFID_DELETE,
	STORE_CONN_OP,		/* what an operator set on a connector */
	STORE_WEB_SESSION,	/* a login session begun or used */
	STORE_WEB_SESSION_DELETE,
	STORE_ALARM_RAISE,	/* an active alarm, new */
	STORE_ALARM_ACK,	/* acknowledged: by whom, when */
	STORE_ALARM_CLEAR,	/* its cause gone */
	STORE_EXT_LIMIT,	/* the external limit set or renewed */
	STORE_EXT_LIMIT_DELETE,	/* ended (cleared or expired) */
	STORE_OCPP_PROFILES,	/* a charge point's charging profiles */
};

#define STORE_HASH_LEN		128	/* crypto_pwhash_STRBYTES */

struct store_rec {
	enum store_kind	 kind;
	int64_t		 wall_ms;
	union {
		struct {
			int	 severity;
			char	 source[48];
			char	 code[32];
			char	 text[160];
		} ev;
		struct {
			char	 charger[32];
			int	 connector;
			uint32_t number;
			int64_t	 start_ms;
			uint32_t energy_wh;
			int32_t	 peak_da;
			char	 tag[17];
			char	 reason[16];
		} s;
		struct {
			char	 section[24];
			char	 key[32];
			char	 value[256];
		} cfg;
		struct {
			char	 name[32];
			int	 role;
			int	 must_change;
			char	 hash[STORE_HASH_LEN];
		} user;
		struct {
			char	 tag[17];
			char	 name[48];
			int	 enabled;
			int64_t	 valid_until_ms;	/* 0: no end */
		} rfid;
		struct {
			char	 tok_hash[65];	/* never the token */
			char	 user[32];
			int	 role;
			char	 csrf[65];
		} web;
		struct {
			char	 charger[32];
			int	 connector;
			int	 paused;
			char	 paused_by[32];
			uint32_t boost_session;	/* boosted session, 0 none */
			int	 locked;	/* an operator's lock */
		} op;
		struct {
			int32_t	 limit_da[3];
			int64_t	 until_ms;	/* wall time */
			char	 by[32];
		} ext;
		struct {
			char	 code[24];
			char	 source[32];
			int	 connector;
			int	 severity;
			char	 text[160];
			int64_t	 since_ms;
			char	 by[32];	/* who acknowledged it */
			int64_t	 ack_ms;
		} al;
		struct {
			char	 identity[49];	/* the charge point's */
			char	*profiles;	/* JSON (ocppprof_save), from
						 * malloc: the store's once put,
						 * freed once written */
		} prof;
		struct {
			int64_t	 minute;	/* wall ms / 60000 */
			int32_t	 min_da[EVG_PHASES], avg_da[EVG_PHASES],
				 max_da[EVG_PHASES], ev_da[EVG_PHASES];
		} h;
	} u;
};

/* An open session found in the database at start-up. */
struct store_open_session {
	char		 charger[32];
	int		 connector;
	uint32_t	 number;
	int64_t		 start_ms, updated_ms;
	uint32_t	 energy_wh;
};

struct sqlite3;

struct store {
	char		 path[256];
	struct sqlite3	*db;		/* the writer thread's */
	uv_thread_t	 thread;
	uv_mutex_t	 mu;
	uv_cond_t	 cv;
	bool		 stop, running;
	struct store_rec *q;		/* ring of STORE_QUEUE_MAX */
	size_t		 head, count;
	/* under mu, for the loop to show */
	bool		 failing;
	char		 error[160];
	uint64_t	 written, lost, batches;
	int		 history_days;
	int64_t		 last_prune_ms;
};

int	store_open(struct store *, const char *path, int history_days,
	    char *note, size_t notelen, char *err, size_t errlen);
int	store_open_sessions(struct store *, struct store_open_session *out,
	    int max);
typedef int (*store_config_fn)(void *arg, const char *section,
    const char *key, const char *value);
int	store_config_load(struct store *, store_config_fn, void *arg);
typedef int (*store_row_fn)(void *arg, int ncol, const char *const *col);
int	store_select(struct store *, const char *sql, store_row_fn, void *arg);
int	store_config_seed(struct store *, const char *const *sections,
	    const char *const *keys, const char *const *values, int n);
int	store_prune_web_sessions(struct store *, int64_t before_wall_ms);
int	store_start(struct store *);
void	store_put(struct store *, const struct store_rec *);
void	store_close(struct store *);
void	store_status(struct store *, bool *failing, char *error, size_t len,
	    uint64_t *written, uint64_t *lost, size_t *queued);
int	store_backup(const char *path, const char *dest, char *err, size_t);
int	store_schema_version(const char *path);

#endif
