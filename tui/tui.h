/*
 * tui.h: the operator console's pure core. A status snapshot (parsed from
 * the master's JSON) and the view (screen, selection, sort, filter) go in;
 * a screen model (characters and attributes, rows x columns) comes out,
 * and keys turn into view changes and actions for the shell to carry
 * out. No curses, no sockets, no clock here: render.c, keys.c, model.c.
 */
#ifndef EVG_TUI_H
#define EVG_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TUI_NAME_LEN	32
#define TUI_TEXT_LEN	160
#define TUI_EVENTS	20
#define TUI_LIST_MAX	500	/* events / sessions screens */
#define TUI_WARN_PCT	90	/* a phase above this share of its limit */
#define TUI_FILTER_LEN	32
#define TUI_CIRCUITS	63	/* below the supply (the master's at most) */

struct tui_conn {
	char	 charger[TUI_NAME_LEN];
	int	 charger_id, connector;
	bool	 online, paused, boost;
	char	 state[32], phase[8], led_colour[12], cp[4];
	double	 offer, setpoint, max_current;
	double	 ocpp_cap;	/* the CSMS's profiles' cap (A); < 0 none */
	double	 current[3];
	double	 session_kwh;
	long	 session_s;
	char	 faults[96];	/* in words, comma separated */
	/* Why it is offered what it is, and until when (the master's epoch
	 * ms; 0: no end known). */
	char	 reason[40], reason_text[96];
	int64_t	 until_ms;
	char	 circuit[TUI_NAME_LEN];	/* "supply" or a circuit's name */
	/* Its charger's link to the CSMS ("": no charge point): off,
	 * connecting, booting, accepted, pending, rejected; its identity */
	char	 ocpp[12], ocpp_identity[49];
};

/*
 * A circuit below the supply (a board): its limit per phase, what its
 * chargers may take and are counted at, and its own meter if it has one.
 * A value the master sends as null is NAN here.
 */
struct tui_circuit {
	char	 name[TUI_NAME_LEN], parent[TUI_NAME_LEN];
	int	 depth;		/* 1: right under the supply */
	double	 limit, offline_limit;
	bool	 metered, meter_online;
	char	 meter_why[64];
	double	 measured[3], building[3];	/* NAN without a reading */
	double	 available[3], used[3];
	double	 imbalance_limit, imbalance;	/* NAN: none */
};

struct tui_event {
	int64_t	 time_ms;
	int	 severity;
	char	 source[48];
	char	 text[TUI_TEXT_LEN];
	/* an alarm's key, and who acknowledged it ("": nobody) and when */
	char	 code[24];
	int	 connector;
	char	 ack_by[TUI_NAME_LEN];
	int64_t	 ack_ms;
};

struct tui_status {
	bool	 valid;		/* a snapshot has been parsed */
	char	 site[64], mode[12];
	bool	 meter_online;
	double	 clamp[3], ev[3], non_ev[3], limit[3], available[3];
	double	 used[3];	/* the cars counted at: offers, offline */
	/* hybrid, green: the export, the surplus, what the cars may take,
	 * green's timers (the master's epoch ms; 0: none) */
	double	 exported[3], surplus[3], may_take[3];
	int64_t	 green_start_ms, green_stop_ms;
	double	 group_limit, site_limit;
	bool	 ocpp;		/* OCPP on: the table marks each link */
	int64_t	 time_ms;
	struct tui_conn *conns;
	size_t	 n, cap;
	struct tui_event events[TUI_EVENTS];
	int	 nevents;
	struct tui_event alarms[TUI_EVENTS];	/* what is wrong now */
	int	 nalarms, alarms_total;
	/* Circuits (in tree order: each after its parent, a board's boards
	 * right after it), the supply's phase balance, the external limit
	 * and the demand window; NAN or false where the master sends null. */
	struct tui_circuit circuits[TUI_CIRCUITS];
	int	 ncircuits;
	double	 imbalance_limit, imbalance;
	bool	 external;
	double	 external_limit[3];
	int64_t	 external_until_ms;
	char	 external_by[TUI_NAME_LEN];
	bool	 demand;
	int	 demand_window_s;
	int64_t	 demand_start_ms, demand_end_ms;
	double	 demand_target, demand_average, demand_projected, demand_ev_cap;
	char	 demand_unit[8];
	bool	 demand_over;
};

/* A row of the events or sessions screen, as text. */
struct tui_list {
	char	(*rows)[TUI_TEXT_LEN + 64];
	int	 n;
	int	 severity[TUI_LIST_MAX];
	char	 title[64];
	bool	 loading;
};

enum tui_screen { SCR_MAIN, SCR_DETAIL, SCR_EVENTS, SCR_SESSIONS, SCR_HELP };
enum tui_sort { SORT_NAME, SORT_STATE, SORT_DRAW };

struct tui_view {
	enum tui_screen	 screen;
	enum tui_sort	 sort;
	char		 filter[TUI_FILTER_LEN];
	bool		 typing;	/* the filter line has the keys */
	bool		 by_circuit;	/* c: rows grouped by circuit */
	int		 sel;		/* index into the sorted, filtered rows */
	int		 top;		/* first row shown */
	int		 list_top;	/* events/sessions scroll */
	char		 sel_charger[TUI_NAME_LEN];	/* kept across updates */
	int		 sel_connector;
	bool		 confirm_reset;
	bool		 confirm_limit;	/* +/- asked: y sets limit_to */
	bool		 confirm_ack;	/* A asked: y acknowledges ack */
	struct tui_event ack;		/* the alarm A asked about */
	double		 limit_to;
	char		 message[TUI_TEXT_LEN];
	bool		 message_bad;
	bool		 reachable;	/* the master answers */
	char		 unreachable_why[96];
	char		 user[TUI_NAME_LEN];	/* who is logged in */
	bool		 installer;
	char		 clock[16];	/* HH:MM:SS, from the shell */
};

enum tui_act_kind {
	ACT_NONE, ACT_QUIT, ACT_COMMAND, ACT_LIMIT, ACT_LOAD_EVENTS,
	ACT_LOAD_SESSIONS, ACT_ACK,
};

struct tui_action {
	enum tui_act_kind kind;
	int		 charger_id, connector;
	char		 verb[16];	/* pause, resume, lock, ... */
	double		 limit;		/* ACT_LIMIT: the new group limit */
	char		 what[64];	/* "bay-001 connector 1", for messages */
	/* ACT_ACK: the alarm's key */
	char		 code[24];
	char		 source[48];
};

/* Attributes of a cell: the shell maps them to colours or, on a
 * monochrome terminal, to bold/reverse/underline. */
enum tui_attr {
	TA_NORM = 0, TA_HEAD, TA_SEL, TA_OK, TA_WARN, TA_BAD, TA_DIM, TA_BAR_BUILDING,
	TA_BAR_EV, TA_BAR_FREE, TA_LIMIT, TA_LED_GREEN, TA_LED_BLUE, TA_LED_YELLOW,
	TA_LED_MAGENTA, TA_LED_RED, TA_LED_WHITE, TA_BOLD, TA_ATTR_COUNT,
};

struct tui_cell {
	char		 ch[4];		/* one character, UTF-8 (NUL-padded) */
	uint8_t		 attr;
};

struct tui_screen_model {
	int		 rows, cols;
	struct tui_cell	*cells;		/* rows * cols */
};

/* model.c */
int	tui_status_parse(struct tui_status *, const char *json, size_t len,
	    char *err, size_t errlen);
void	tui_status_free(struct tui_status *);
int	tui_rows(const struct tui_status *, const struct tui_view *,
	    int *idx, int max);
void	tui_list_events(struct tui_list *, const char *json, size_t len);
void	tui_list_sessions(struct tui_list *, const char *json, size_t len);
void	tui_list_free(struct tui_list *);
const char *tui_sort_name(enum tui_sort);
const char *tui_fit(char *buf, size_t len, const char *s, int n);
const char *tui_countdown(char *buf, size_t len, int64_t ms);
const char *tui_state_short(const struct tui_conn *);
char	tui_ocpp_mark(const struct tui_conn *);
int	tui_circuit_of(const struct tui_status *, const struct tui_conn *);

/* keys.c (keys as curses gives them; see TUI_KEY_*) */
#define TUI_KEY_UP	0x103
#define TUI_KEY_DOWN	0x102
#define TUI_KEY_PGUP	0x153
#define TUI_KEY_PGDN	0x152
#define TUI_KEY_HOME	0x106
#define TUI_KEY_END	0x168
#define TUI_KEY_ENTER	'\n'
#define TUI_KEY_ESC	27
#define TUI_KEY_BACKSPACE 0x107
void	tui_key(struct tui_view *, const struct tui_status *,
	    const struct tui_list *, int key, int page_rows,
	    struct tui_action *);
void	tui_keep_selection(struct tui_view *, const struct tui_status *);
void	tui_say(struct tui_view *, bool bad, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* render.c */
int	tui_screen_alloc(struct tui_screen_model *, int rows, int cols);
void	tui_screen_free(struct tui_screen_model *);
/* How many lines the help screen has (the keys scroll it to the last). */
int	tui_help_lines(void);
void	tui_render(const struct tui_status *, const struct tui_view *,
	    const struct tui_list *, bool utf8, struct tui_screen_model *);
int	tui_table_rows(const struct tui_status *, int rows);
void	tui_screen_line(const struct tui_screen_model *, int row, char *buf,
	    size_t len);

#endif
