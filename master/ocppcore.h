/*
 * ocppcore.h: one OCPP 1.6J charge point (a charger of the site), as a
 * pure state machine. In: the charger as the site last saw it, texts from
 * the CSMS, the link going up or down, now_ms (monotonic) and the wall
 * time. Out, through the ops the caller gives: texts to send, records to
 * keep in the store (the transaction queue, the transactionId map, the
 * local list, the cache, changed configuration keys) and actions on the
 * site (authorise, stop, lock, unlock, reconnect). No clock, no socket,
 * no SQLite here.
 *
 * OCPP-J 1.6 (section 4.1.1): one CALL outstanding at a time; a
 * transaction message (StartTransaction, StopTransaction, transaction
 * MeterValues) is handed to the store before it is sent and forgotten
 * only once the CSMS answered it (or rejected it TransactionMessageAttempts
 * times, OCPP 1.6 section 3.8).
 */
#ifndef EVG_OCPPCORE_H
#define EVG_OCPPCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define OCPP_MAX_CONN		2
#define OCPP_TAG_LEN		20	/* IdToken: CiString20Type */
#define OCPP_MQ_MAX		32	/* messages that need no store */
#define OCPP_CACHE_MAX		64	/* the authorisation cache */
/* Transactions in memory: at a start at most OCPP_TX_MAX - OCPP_MAX_CONN
 * closed ones are loaded (a slot kept for each connector's session), the
 * others wait in the store, messages untouched, for a later start. */
#define OCPP_TX_MAX		16
#define OCPP_LIST_MAX		1000	/* LocalAuthListMaxLength */
#define OCPP_SEND_LIST_MAX	100	/* SendLocalListMaxLength */

enum ocpp_boot {
	OCPP_BOOT_NONE,		/* down, or up and not asked yet */
	OCPP_BOOT_SENT,		/* BootNotification under way */
	OCPP_BOOT_PENDING,
	OCPP_BOOT_ACCEPTED,
	OCPP_BOOT_REJECTED,
};

/* The messages the charge point sends. */
enum ocpp_action {
	OCPP_A_NONE,
	OCPP_A_BOOT, OCPP_A_HEARTBEAT, OCPP_A_STATUS, OCPP_A_AUTHORIZE,
	OCPP_A_START, OCPP_A_STOP, OCPP_A_METER,
};

/* One connector as the site saw it (a charger's reg_conn, trimmed). */
struct ocpp_conn_in {
	uint16_t	 state;		/* enum conn_state (charger.h) */
	uint16_t	 cp_state;	/* pilot: 0 A .. 5 F, 6 unknown */
	uint16_t	 faults;	/* docs/protocol.md fault bits */
	uint16_t	 session_no;
	int32_t		 offer_da;
	int32_t		 current_da[3];
	uint32_t	 total_wh;	/* the connector's energy register */
	char		 tag[OCPP_TAG_LEN + 1];
};

struct ocpp_cp_in {
	bool		 online;	/* the charger answers the master */
	int		 nconn;
	uint16_t	 voltage_dv[3];	/* line to neutral; 0 unknown */
	struct ocpp_conn_in c[OCPP_MAX_CONN];
};

/* What the charge point says it is, and its settings ([ocpp]). */
struct ocpp_conf {
	char		 vendor[21], model[21], serial[26], firmware[51];
	int		 heartbeat_s, meter_sample_s, clock_aligned_s;
	int		 call_timeout_s;
	bool		 local_authorize_offline, local_pre_authorize;
	bool		 allow_offline_tx_for_unknown_id;
	bool		 authorization_cache_enabled;
	int		 ping_interval_s;
	/* site.authorisation rfid+csms: a tag the site's whitelist took is
	 * the site's decision, which the CSMS's answer does not undo */
	bool		 site_whitelist;
};

/* What the core asks the site to do. */
enum ocpp_act_kind {
	OCPP_ACT_AUTHORISE,	/* connector: start its session */
	OCPP_ACT_REFUSE,	/* connector: the tag presented is refused */
	OCPP_ACT_STOP,		/* connector: stop its session */
	OCPP_ACT_LOCK,		/* connector (0: all): out of service */
	OCPP_ACT_UNLOCK,	/* connector (0: all): back in service */
	OCPP_ACT_RECONNECT,	/* Reset: drop the link, connect again */
	OCPP_ACT_BOOTED,	/* the CSMS accepted the boot */
	OCPP_ACT_REJECTED,	/* the CSMS rejected the boot (text: why) */
	OCPP_ACT_TX_STARTED,	/* connector: the CSMS numbered it (txid);
				 * wall_ms: its start */
	OCPP_ACT_TX_ENDED,	/* connector: its transaction stopped */
	OCPP_ACT_TX_DROPPED,	/* connector: its StartTransaction refused
				 * TransactionMessageAttempts times: the
				 * CSMS does not know it; its messages are
				 * parked until the next start (tag, wh) */
};

struct ocpp_act {
	enum ocpp_act_kind kind;
	int		 connector;
	const char	*tag;		/* AUTHORISE / REFUSE */
	const char	*text;		/* why, for the log */
	int32_t		 txid;		/* TX_STARTED */
	uint32_t	 wh;		/* TX_DROPPED: the energy so far */
	int64_t		 wall_ms;	/* TX_STARTED: its start (0 unknown) */
};

/* What the store keeps. */
enum ocpp_rec_kind {
	OCPP_REC_MSG_PUT,	/* seq, local_tx, action, payload */
	OCPP_REC_MSG_DEL,	/* seq */
	OCPP_REC_TX_PUT,	/* the transaction (tx) */
	OCPP_REC_TX_DEL,	/* local_tx */
	OCPP_REC_CONF,		/* key, value: a changed configuration key */
	OCPP_REC_LIST,		/* version, payload: the whole local list */
	OCPP_REC_CACHE_PUT,	/* key: tag, value: status */
	OCPP_REC_CACHE_CLEAR,
};

/* A transaction as the core follows it (connector's). */
struct ocpp_tx {
	int64_t		 local;		/* our id: 0 none */
	int32_t		 txid;		/* the CSMS's; 0 not known yet */
	int		 connector;
	bool		 open;		/* no StopTransaction queued yet */
	bool		 by_site;	/* its tag taken by the site's
					 * whitelist */
	uint16_t	 session_no;
	uint32_t	 meter_start;
	int64_t		 start_wall_ms;	/* its StartTransaction's timestamp */
	char		 tag[OCPP_TAG_LEN + 1];
	bool		 parked;	/* its StartTransaction given up: its
					 * messages stay in the store, unsent,
					 * until the next start (not stored) */
};

struct ocpp_rec {
	enum ocpp_rec_kind kind;
	uint64_t	 seq;
	int64_t		 local_tx;
	int		 action;	/* enum ocpp_action */
	int		 version;
	const char	*payload;	/* JSON text */
	const char	*key, *value;
	const struct ocpp_tx *tx;
};

struct ocpp_ops {
	void		*arg;
	/* Queue a text on the websocket: 0, -1 when the link is down. */
	int		(*send)(void *arg, const char *text, size_t len);
	void		(*store)(void *arg, const struct ocpp_rec *);
	/* Carry out an action: 0 done, -1 refused (why filled). */
	int		(*act)(void *arg, const struct ocpp_act *, char *why,
			    size_t whylen);
	/* true: a transaction message is sent only once the store said
	 * it is on disk (ocppcore_stored()); false: once handed to store */
	bool		 store_acks;
	/* Smart charging (ocppprof): the answer's payload; txid: the
	 * transaction running on the request's connector (0 none); NULL
	 * answers NotSupported (Set), Unknown (Clear), Rejected (Get). */
	json_t		*(*profile)(void *arg, const char *action,
			    const json_t *req, int32_t txid, int64_t wall_ms);
};

/* A message waiting to be sent. */
struct ocpp_msg {
	int		 action;	/* enum ocpp_action */
	uint64_t	 seq;		/* transaction messages: store's key */
	int64_t		 local_tx;	/* transaction messages: whose */
	char		*payload;	/* JSON text, without transactionId
					 * for a Stop or MeterValues of a
					 * transaction not yet numbered */
	char		 tag[OCPP_TAG_LEN + 1];	/* Authorize's */
	int		 attempts;	/* CALLERRORs so far */
	uint64_t	 not_before_ms;	/* retry interval */
};

struct ocpp_auth_entry {
	char		 tag[OCPP_TAG_LEN + 1];
	char		 status[24];	/* AuthorizationStatus */
	int64_t		 expiry_ms;	/* wall; 0 none */
};

/* The configuration keys' values (OCPP 1.6 section 9.1). */
struct ocpp_keys {
	int		 heartbeat_s, meter_sample_s, clock_aligned_s;
	int		 tx_attempts, tx_retry_s;
	bool		 local_authorize_offline, local_pre_authorize;
	bool		 allow_offline_tx_for_unknown_id, cache_enabled;
	bool		 local_list_enabled;
	char		 sampled[160], aligned[160];
};

struct ocpp_cp {
	struct ocpp_conf conf;
	struct ocpp_ops	 ops;
	struct ocpp_keys keys;
	/* the link and the boot */
	bool		 up;
	enum ocpp_boot	 boot;
	uint64_t	 next_boot_ms;	/* Pending/Rejected: interval */
	uint64_t	 last_call_ms;	/* for Heartbeat */
	int64_t		 last_msg_wall_ms;	/* the CSMS's last text */
	int64_t		 wall_ms;	/* the wall time last given */
	char		 why[96];
	/* the CALL outstanding (busy), OCPP-J 4.1.1 */
	bool		 busy;
	char		 call_id[40];
	int		 call_action;
	bool		 call_durable;	/* the head of txq */
	char		 call_tag[OCPP_TAG_LEN + 1];
	int		 call_conn;
	uint64_t	 call_deadline_ms;
	uint64_t	 id_seed, id_next;
	/* the head of txq: the ids it was sent under on this link (a late
	 * CALLRESULT to any is its answer), and true once one of them timed
	 * out: not sent again before a reconnection (OCPP-J 4.1.1, 4.2) */
	char		 head_ids[4][40];
	int		 nhead_ids;
	bool		 head_waiting;
	/* head_waiting: no answer by then either, the link is taken for
	 * dead and a reconnection asked (once) */
	uint64_t	 head_dead_ms;
	bool		 head_reconnect;
	/* the ids the BootNotification went under on this link: a late
	 * answer to any is the boot's answer */
	char		 boot_ids[4][40];
	int		 nboot_ids;
	/* messages that need no store (lost with the link) */
	struct ocpp_msg	 mq[OCPP_MQ_MAX];
	int		 nmq;
	/* transaction messages, in order (mirrored in the store) */
	struct ocpp_msg	*txq;
	size_t		 ntxq, captxq;
	uint64_t	 next_seq;
	uint64_t	 stored_seq;	/* on disk up to this one (store_acks) */
	/* transactions: one open a connector, plus those closed whose
	 * messages still wait (their transactionId is needed) */
	struct ocpp_tx	 tx[OCPP_TX_MAX];
	int		 ntx;
	int64_t		 next_local;
	/* the connectors as last seen, and what was last told */
	struct ocpp_cp_in in;
	bool		 have_in;	/* in: at least nconn known */
	bool		 reconciled;	/* open transactions checked against
					 * the charger's first reading */
	char		 told[OCPP_MAX_CONN + 1][64];	/* status|error|vendor */
	/* per connector: a stop reason asked (Remote, Reset...) */
	const char	*stop_reason[OCPP_MAX_CONN + 1];
	char		 remote_tag[OCPP_MAX_CONN + 1][OCPP_TAG_LEN + 1];
	char		 auth_tag[OCPP_MAX_CONN + 1][OCPP_TAG_LEN + 1];
	bool		 inoperative[OCPP_MAX_CONN + 1];	/* asked */
	bool		 avail_scheduled[OCPP_MAX_CONN + 1];
	uint64_t	 next_sample_ms[OCPP_MAX_CONN + 1];
	int64_t		 next_clock_wall_ms;
	/* the session a transaction was stopped for, not to be started
	 * again while the charger still shows it (-1 none) */
	int32_t		 ended_session[OCPP_MAX_CONN + 1];
	bool		 reset_pending, trigger_boot;
	bool		 hold;		/* answering a CALL: send nothing */
	bool		 rejected_told;	/* since the last acceptance */
	/* local authorisation list and cache */
	int		 list_version;
	struct ocpp_auth_entry *list;
	int		 nlist;
	struct ocpp_auth_entry cache[OCPP_CACHE_MAX];
	int		 ncache;
};

void	ocppcore_init(struct ocpp_cp *, const struct ocpp_conf *,
	    const struct ocpp_ops *, uint64_t id_seed);
void	ocppcore_free(struct ocpp_cp *);

/* Restoring what the store kept, before the first ocppcore_input():
 * transactions first (in order), then messages. -1: not taken; a message
 * of a transaction not taken stays in the store, unsent and kept. */
int	ocppcore_load_msg(struct ocpp_cp *, uint64_t seq, int64_t local_tx,
	    int action, const char *payload);
int	ocppcore_load_tx(struct ocpp_cp *, const struct ocpp_tx *);
int	ocppcore_load_key(struct ocpp_cp *, const char *key,
	    const char *value);
int	ocppcore_load_list(struct ocpp_cp *, int version, const char *json);
int	ocppcore_load_cache(struct ocpp_cp *, const char *tag,
	    const char *status);

/* The store wrote the transaction messages up to seq (store_acks). */
void	ocppcore_stored(struct ocpp_cp *, uint64_t seq, uint64_t now_ms);

/* The link. */
void	ocppcore_up(struct ocpp_cp *, uint64_t now_ms);
void	ocppcore_down(struct ocpp_cp *, const char *why, uint64_t now_ms);
/* A text from the CSMS. */
void	ocppcore_receive(struct ocpp_cp *, const char *text, size_t len,
	    uint64_t now_ms, int64_t wall_ms);
/* The charger as the site sees it now (every cycle or so). */
void	ocppcore_input(struct ocpp_cp *, const struct ocpp_cp_in *,
	    uint64_t now_ms, int64_t wall_ms);
/* A tag presented at a connector waiting for authorisation (site
 * authorisation csms or rfid+csms): answered by an action (AUTHORISE or
 * REFUSE), now or when the CSMS answers. */
void	ocppcore_authorize(struct ocpp_cp *, int connector, const char *tag,
	    uint64_t now_ms, int64_t wall_ms);
/* Timers: heartbeats, samples, call timeouts, retries; and sends what
 * can be sent. */
void	ocppcore_tick(struct ocpp_cp *, uint64_t now_ms, int64_t wall_ms);
/* The transaction open on a connector (NULL none), with its start: smart
 * charging counts a Relative schedule from it (ocppprof), also before the
 * CSMS numbered it and after a restart of the master. */
const struct ocpp_tx *ocppcore_tx_of(const struct ocpp_cp *, int connector);
/* The nearest time ocppcore_tick() has something to do. */
uint64_t ocppcore_deadline(const struct ocpp_cp *, uint64_t now_ms);

/* The mapping of docs/ocpp.md: a connector to ChargePointStatus,
 * ChargePointErrorCode and vendorErrorCode ("" none). */
void	ocppcore_status_of(bool online, const struct ocpp_conn_in *,
	    const char **status, const char **error, const char **vendor);
const char *ocppcore_action_name(int action);
int	ocppcore_action_of(const char *name);

#endif
