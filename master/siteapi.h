/*
 * siteapi.h: what the API asks of the loop (run there through web_call):
 * configuration, chargers, connector commands, the RFID whitelist,
 * metrics, events. Each returns a malloc'd "NNN body" (an HTTP status and
 * its JSON or text body).
 */
#ifndef EVG_SITEAPI_H
#define EVG_SITEAPI_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"

#define SITEAPI_MAX_SETS	64
#define RFID_MAX		2000
#define RFID_TAG_LEN		16

struct master;

struct sa_set {
	const char	*who;
	int		 n;
	const char	*section[SITEAPI_MAX_SETS];
	const char	*key[SITEAPI_MAX_SETS];
	const char	*value[SITEAPI_MAX_SETS];
	int		 charger;	/* add/edit/delete: 1-based id (of
					 * a charger, or of a circuit) */
	bool		 stop;		/* delete: stop the sessions under way */
	bool		 confirm;	/* a raise of a limit is meant */
};

struct sa_cmd {
	const char	*who;
	char		 line[128];
	struct site_ask	 ask;		/* a command to wait for: sa_answer */
};

/* The loop answers "202 " for a command sent to a charger: its answer
 * comes from sa_answer(), asked again until it is not 202. */
#define SA_WAITING	"202 "
/* A command is written at once (a poll out of turn: a few requests, each
 * answered within site.response_timeout, 500 ms by default); the API
 * waits this long for the charger's answer, less than the console's
 * 5 s (tui/client.h). */
#define SA_ANSWER_WAIT_MS	4000
#define SA_ANSWER_POLL_MS	20

struct sa_rfid {
	const char	*who;
	char		 tag[RFID_TAG_LEN + 1];
	char		 name[48];
	bool		 enabled;
	int64_t		 valid_until_ms;	/* 0: none */
	bool		 remove;
	bool		 replace;	/* an existing tag may be overwritten */
};

/* PUT / DELETE /api/external-limit: 0.1 A per phase at the supply */
struct sa_extlimit {
	const char	*who;
	bool		 clear;
	int32_t		 limit_da[3];
	uint64_t	 valid_ms;
};

struct sa_event {
	int		 severity;
	const char	*source, *code, *text;
};

struct rfid_entry {
	char		 tag[RFID_TAG_LEN + 1];
	char		 name[48];
	bool		 enabled;
	int64_t		 valid_until_ms;
};

struct json_t;
/* "NNN body" answers, for the loop's other API files (testsite.c): a
 * JSON body (taken), or an error with its field. */
char	*siteapi_json(int status, struct json_t *);
char	*siteapi_error(int status, const char *field, const char *msg);
char	*sa_config_get(struct master *, void *);
char	*sa_config_put(struct master *, void *sa_set);
char	*sa_charger_add(struct master *, void *sa_set);
char	*sa_charger_delete(struct master *, void *sa_set);
char	*sa_charger_addr(struct master *, void *sa_set);
char	*sa_circuits_get(struct master *, void *);
char	*sa_circuit_add(struct master *, void *sa_set);
char	*sa_circuit_put(struct master *, void *sa_set);
char	*sa_circuit_delete(struct master *, void *sa_set);
char	*sa_command(struct master *, void *sa_cmd);
char	*sa_external_limit(struct master *, void *sa_extlimit);
char	*sa_answer(struct master *, void *sa_cmd);
char	*sa_rfid_list(struct master *, void *);
char	*sa_rfid_put(struct master *, void *sa_rfid);
char	*sa_metrics(struct master *, void *);
char	*sa_event(struct master *, void *sa_event);
char	*sa_restart(struct master *, void *who);

/* Active alarms (alarms.h): the list, an acknowledgement, and the
 * webhook's settings for a test from the API's thread. */
struct sa_alarm_ack {
	const char	*who;
	char		 code[24];
	char		 source[32];
	int		 connector;
};
char	*sa_alarms(struct master *, void *);
char	*sa_alarm_ack(struct master *, void *sa_alarm_ack);
char	*sa_hook_conf(struct master *, void *);
void	rfid_load(struct master *);
const struct rfid_entry *rfid_lookup(const struct master *, const char *tag);
const char *rfid_status(const struct rfid_entry *, int64_t wall_ms);
int	rfid_normalise(const char *in, char *out, size_t outlen);

#endif
