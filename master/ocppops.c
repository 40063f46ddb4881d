/*
 * ocppops.c: what the CSMS asks of a charge point (OCPP 1.6 section 5),
 * each payload checked against the 1.6 JSON schema first (a payload that
 * breaks it gets the CALLERROR that says how, and changes nothing); the
 * local authorisation list, the cache and the configuration keys.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charger.h"
#include "ocppint.h"
#include "ocppprof.h"

/* ------------------------------------------------------------------ */
/* The 1.6 schemas, as far as a charge point needs them */

enum ftype { F_STR, F_INT, F_DEC, F_BOOL, F_OBJ, F_ARR, F_TIME };

struct field {
	const char	*name;
	enum ftype	 type;
	bool		 required;
	int		 maxlen;	/* strings (0: none) */
	const char	*enums;		/* "|A|B|": the values allowed */
	const struct field *sub;	/* objects; NULL: any */
	enum ftype	 item;		/* arrays */
};

#define END	{ NULL, 0, false, 0, NULL, NULL, 0 }

static const struct field f_idtaginfo[] = {
	{ "expiryDate", F_TIME, false, 0, NULL, NULL, 0 },
	{ "parentIdTag", F_STR, false, 20, NULL, NULL, 0 },
	{ "status", F_STR, true, 0,
	    "|Accepted|Blocked|Expired|Invalid|ConcurrentTx|", NULL, 0 },
	END
};
static const struct field f_authdata[] = {
	{ "idTag", F_STR, true, 20, NULL, NULL, 0 },
	{ "idTagInfo", F_OBJ, false, 0, NULL, f_idtaginfo, 0 },
	END
};
static const struct field s_remote_start[] = {
	{ "connectorId", F_INT, false, 0, NULL, NULL, 0 },
	{ "idTag", F_STR, true, 20, NULL, NULL, 0 },
	{ "chargingProfile", F_OBJ, false, 0, NULL, NULL, 0 },
	END
};
static const struct field s_remote_stop[] = {
	{ "transactionId", F_INT, true, 0, NULL, NULL, 0 }, END
};
static const struct field s_change_avail[] = {
	{ "connectorId", F_INT, true, 0, NULL, NULL, 0 },
	{ "type", F_STR, true, 0, "|Inoperative|Operative|", NULL, 0 },
	END
};
static const struct field s_reset[] = {
	{ "type", F_STR, true, 0, "|Hard|Soft|", NULL, 0 }, END
};
static const struct field s_connector[] = {
	{ "connectorId", F_INT, true, 0, NULL, NULL, 0 }, END
};
static const struct field s_get_conf[] = {
	{ "key", F_ARR, false, 50, NULL, NULL, F_STR }, END
};
static const struct field s_change_conf[] = {
	{ "key", F_STR, true, 50, NULL, NULL, 0 },
	{ "value", F_STR, true, 500, NULL, NULL, 0 },
	END
};
static const struct field s_empty[] = { END };
static const struct field s_trigger[] = {
	{ "requestedMessage", F_STR, true, 0, "|BootNotification|"
	    "DiagnosticsStatusNotification|FirmwareStatusNotification|"
	    "Heartbeat|MeterValues|StatusNotification|", NULL, 0 },
	{ "connectorId", F_INT, false, 0, NULL, NULL, 0 },
	END
};
static const struct field s_data_transfer[] = {
	{ "vendorId", F_STR, true, 255, NULL, NULL, 0 },
	{ "messageId", F_STR, false, 50, NULL, NULL, 0 },
	{ "data", F_STR, false, 0, NULL, NULL, 0 },
	END
};
static const struct field s_send_list[] = {
	{ "listVersion", F_INT, true, 0, NULL, NULL, 0 },
	{ "localAuthorizationList", F_ARR, false, 0, NULL, f_authdata, F_OBJ },
	{ "updateType", F_STR, true, 0, "|Differential|Full|", NULL, 0 },
	END
};
static const struct field s_set_profile[] = {
	{ "connectorId", F_INT, true, 0, NULL, NULL, 0 },
	{ "csChargingProfiles", F_OBJ, true, 0, NULL, NULL, 0 },
	END
};
static const struct field s_clear_profile[] = {
	{ "id", F_INT, false, 0, NULL, NULL, 0 },
	{ "connectorId", F_INT, false, 0, NULL, NULL, 0 },
	{ "chargingProfilePurpose", F_STR, false, 0, "|ChargePointMaxProfile|"
	    "TxDefaultProfile|TxProfile|", NULL, 0 },
	{ "stackLevel", F_INT, false, 0, NULL, NULL, 0 },
	END
};
static const struct field s_composite[] = {
	{ "connectorId", F_INT, true, 0, NULL, NULL, 0 },
	{ "duration", F_INT, true, 0, NULL, NULL, 0 },
	{ "chargingRateUnit", F_STR, false, 0, "|A|W|", NULL, 0 },
	END
};

/* RFC 3339 date-time, as the 1.6 schemas' "format": "date-time", with its
 * offset: "2026-11-27T10:00:00+05:00" is 05:00Z (read as 10:00Z, an
 * expiryDate held five hours too long). */
static bool
is_datetime(const char *s)
{
	int64_t	 ms;

	return ocppprof_parse_time(s, &ms) == 0;
}

/* An idTagInfo's expiryDate, ms since the epoch; 0 none. One that is
 * there but cannot be read ("+0000", a space for the T, before 1970) is
 * taken as passed long ago (1 ms): the tag is never held valid longer
 * than the CSMS meant, offline least of all (fail closed). */
static int64_t
expiry_ms_of(json_t *info)
{
	json_t	*v = json_object_get(info, "expiryDate");
	int64_t	 ms;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v) && ocppprof_parse_time(json_string_value(v),
	    &ms) == 0 && ms > 0)
		return ms;
	return 1;
}

static bool
type_ok(enum ftype t, json_t *v)
{
	switch (t) {
	case F_STR:
	case F_TIME:
		return json_is_string(v);
	case F_INT:
		return json_is_integer(v);
	case F_DEC:
		return json_is_number(v);
	case F_BOOL:
		return json_is_boolean(v);
	case F_OBJ:
		return json_is_object(v);
	case F_ARR:
		return json_is_array(v);
	}
	return false;
}

static const char *check_obj(json_t *, const struct field *, char *, size_t);

/* A string anywhere in v holds a NUL (\u0000): no 1.6 field allows one,
 * and the C strings read from it would be cut short. */
static bool
has_nul(json_t *v)
{
	const char *k;
	json_t	*e;
	size_t	 i;

	if (json_is_string(v))
		return strlen(json_string_value(v)) != json_string_length(v);
	json_array_foreach(v, i, e)
		if (has_nul(e))
			return true;
	json_object_foreach(v, k, e)
		if (has_nul(e))
			return true;
	return false;
}

/* One value against its field: NULL when it fits, else the CALLERROR's
 * code (why filled). */
static const char *
check_value(json_t *v, const struct field *f, enum ftype t, char *why,
    size_t len)
{
	const char *s;
	char	 pat[64];

	if (!type_ok(t, v)) {
		snprintf(why, len, "%s: wrong type", f->name);
		return "TypeConstraintViolation";
	}
	if (has_nul(v)) {
		snprintf(why, len, "%s: contains a NUL character", f->name);
		return "PropertyConstraintViolation";
	}
	if (t == F_OBJ)
		return f->sub != NULL ? check_obj(v, f->sub, why, len) : NULL;
	if (t != F_STR && t != F_TIME)
		return NULL;
	s = json_string_value(v);
	if ((f->maxlen > 0 && json_string_length(v) > (size_t)f->maxlen) ||
	    (t == F_TIME && !is_datetime(s))) {
		snprintf(why, len, "%s: too long or not of its format",
		    f->name);
		return "PropertyConstraintViolation";
	}
	snprintf(pat, sizeof(pat), "|%s|", s);
	if (f->enums != NULL && (strchr(s, '|') != NULL ||
	    strstr(f->enums, pat) == NULL)) {
		snprintf(why, len, "%s: not an allowed value", f->name);
		return "PropertyConstraintViolation";
	}
	return NULL;
}

static const char *
check_obj(json_t *o, const struct field *fs, char *why, size_t len)
{
	const char *k, *code;
	json_t	*v;

	/* the 1.6 schemas allow no other property ("additionalProperties":
	 * false): a payload with one is not of the action's structure */
	json_object_foreach(o, k, v) {
		const struct field *f = fs;

		while (f->name != NULL && strcmp(f->name, k) != 0)
			f++;
		if (f->name == NULL) {
			snprintf(why, len, "%.40s: no such property", k);
			return "FormationViolation";
		}
	}
	for (const struct field *f = fs; f->name != NULL; f++) {
		v = json_object_get(o, f->name);
		if (v == NULL) {
			if (!f->required)
				continue;
			snprintf(why, len, "%s: required", f->name);
			return "OccurenceConstraintViolation";
		}
		if (f->type != F_ARR) {
			if ((code = check_value(v, f, f->type, why, len)))
				return code;
			continue;
		}
		if (!json_is_array(v)) {
			snprintf(why, len, "%s: wrong type", f->name);
			return "TypeConstraintViolation";
		}
		for (size_t i = 0; i < json_array_size(v); i++)
			if ((code = check_value(json_array_get(v, i), f,
			    f->item, why, len)))
				return code;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Configuration keys (OCPP 1.6 section 9) */

enum ktype { K_INT, K_BOOL, K_CSL };

struct key_def {
	const char	*name;
	enum ktype	 type;
	bool		 readonly;
	size_t		 off;		/* in struct ocpp_keys; readonly: 0 */
	const char	*fixed;		/* a readonly key's value */
	int		 min, max;
};

#define KOFF(f)	offsetof(struct ocpp_keys, f)
#define MEASURANDS "|Energy.Active.Import.Register|Current.Import|" \
	"Current.Offered|Power.Active.Import|"

static const struct key_def keys[] = {
	{ "AllowOfflineTxForUnknownId", K_BOOL, false,
	    KOFF(allow_offline_tx_for_unknown_id), NULL, 0, 1 },
	{ "AuthorizationCacheEnabled", K_BOOL, false, KOFF(cache_enabled),
	    NULL, 0, 1 },
	{ "AuthorizeRemoteTxRequests", K_BOOL, true, 0, "false", 0, 0 },
	{ "ClockAlignedDataInterval", K_INT, false, KOFF(clock_aligned_s),
	    NULL, 0, 86400 },
	{ "GetConfigurationMaxKeys", K_INT, true, 0, "64", 0, 0 },
	{ "HeartbeatInterval", K_INT, false, KOFF(heartbeat_s), NULL, 0,
	    86400 },
	{ "LocalAuthorizeOffline", K_BOOL, false,
	    KOFF(local_authorize_offline), NULL, 0, 1 },
	{ "LocalPreAuthorize", K_BOOL, false, KOFF(local_pre_authorize), NULL,
	    0, 1 },
	{ "MeterValuesAlignedData", K_CSL, false, KOFF(aligned), NULL, 0, 0 },
	{ "MeterValuesSampledData", K_CSL, false, KOFF(sampled), NULL, 0, 0 },
	{ "MeterValueSampleInterval", K_INT, false, KOFF(meter_sample_s), NULL,
	    0, 3600 },
	{ "NumberOfConnectors", K_INT, true, 0, NULL, 0, 0 },
	{ "StopTransactionOnEVSideDisconnect", K_BOOL, true, 0, "true", 0, 0 },
	/* read-only true: false would have the charge point "only stop
	 * energy delivery" (1.6, 3.5.4), a transaction held without energy
	 * that the site cannot keep; stopped, the car never charges on a
	 * tag the CSMS refused */
	{ "StopTransactionOnInvalidId", K_BOOL, true, 0, "true", 0, 0 },
	{ "StopTxnAlignedData", K_CSL, true, 0, "", 0, 0 },
	{ "StopTxnSampledData", K_CSL, true, 0, "", 0, 0 },
	{ "SupportedFeatureProfiles", K_CSL, true, 0,
	    "Core,LocalAuthListManagement,RemoteTrigger,SmartCharging", 0, 0 },
	{ "TransactionMessageAttempts", K_INT, false, KOFF(tx_attempts), NULL,
	    1, 100 },
	{ "TransactionMessageRetryInterval", K_INT, false, KOFF(tx_retry_s),
	    NULL, 1, 3600 },
	{ "UnlockConnectorOnEVSideDisconnect", K_BOOL, true, 0, "false", 0,
	    0 },
	{ "WebSocketPingInterval", K_INT, true, 0, NULL, 0, 0 },
	{ "LocalAuthListEnabled", K_BOOL, false, KOFF(local_list_enabled),
	    NULL, 0, 1 },
	{ "LocalAuthListMaxLength", K_INT, true, 0, "1000", 0, 0 },
	{ "SendLocalListMaxLength", K_INT, true, 0, "100", 0, 0 },
	{ "ChargeProfileMaxStackLevel", K_INT, true, 0, "8", 0, 0 },
	{ "ChargingScheduleAllowedChargingRateUnit", K_CSL, true, 0,
	    "Current,Power", 0, 0 },
	{ "ChargingScheduleMaxPeriods", K_INT, true, 0, "24", 0, 0 },
	{ "MaxChargingProfilesInstalled", K_INT, true, 0, "16", 0, 0 },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

void
ocpp_keys_init(struct ocpp_cp *cp)
{
	struct ocpp_keys *k = &cp->keys;

	k->heartbeat_s = cp->conf.heartbeat_s;
	k->meter_sample_s = cp->conf.meter_sample_s;
	k->clock_aligned_s = cp->conf.clock_aligned_s;
	k->tx_attempts = 3;
	k->tx_retry_s = 60;
	k->local_authorize_offline = cp->conf.local_authorize_offline;
	k->local_pre_authorize = cp->conf.local_pre_authorize;
	k->allow_offline_tx_for_unknown_id =
	    cp->conf.allow_offline_tx_for_unknown_id;
	k->cache_enabled = cp->conf.authorization_cache_enabled;
	k->local_list_enabled = true;
	snprintf(k->sampled, sizeof(k->sampled), "Energy.Active.Import."
	    "Register,Current.Import,Current.Offered,Power.Active.Import");
	snprintf(k->aligned, sizeof(k->aligned),
	    "Energy.Active.Import.Register");
}

static void
key_value(const struct ocpp_cp *cp, const struct key_def *d, char *b,
    size_t len)
{
	const char *base = (const char *)&cp->keys;

	if (strcmp(d->name, "NumberOfConnectors") == 0)
		snprintf(b, len, "%d", cp->have_in ? cp->in.nconn : 0);
	else if (strcmp(d->name, "WebSocketPingInterval") == 0)
		snprintf(b, len, "%d", cp->conf.ping_interval_s);
	else if (d->readonly)
		snprintf(b, len, "%s", d->fixed);
	else if (d->type == K_INT)
		snprintf(b, len, "%d", *(const int *)(base + d->off));
	else if (d->type == K_BOOL)
		snprintf(b, len, "%s", *(const bool *)(base + d->off) ?
		    "true" : "false");
	else
		snprintf(b, len, "%s", base + d->off);
}

static const struct key_def *
key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Set a writable key: 0, -1 a value it cannot take (nothing changed). */
static int
key_set(struct ocpp_cp *cp, const struct key_def *d, const char *v)
{
	char	*base = (char *)&cp->keys, *end, item[64];
	long	 n;

	if (d->type == K_BOOL) {
		/* 1.6 section 9: booleans are "true" and "false" */
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return -1;
		*(bool *)(base + d->off) = strcmp(v, "true") == 0;
		return 0;
	}
	if (d->type == K_INT) {
		/* digits only: strtol alone would take " 60" and "+60" */
		if (!isdigit((unsigned char)v[0]))
			return -1;
		n = strtol(v, &end, 10);
		if (end == v || *end != '\0' || n < d->min || n > d->max)
			return -1;
		*(int *)(base + d->off) = (int)n;
		return 0;
	}
	/* empty: MeterValues with no sampledValue at all; 0 in the
	 * interval keys is the way to send none */
	if (v[0] == '\0' || strlen(v) >= sizeof(cp->keys.sampled))
		return -1;
	for (const char *p = v; *p != '\0';) {
		size_t	 l = strcspn(p, ",");

		if (l == 0 || l >= sizeof(item) - 2)
			return -1;
		snprintf(item, sizeof(item), "|%.*s|", (int)l, p);
		if (strstr(MEASURANDS, item) == NULL)
			return -1;
		p += l;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	snprintf(base + d->off, sizeof(cp->keys.sampled), "%s", v);
	return 0;
}

int
ocppcore_load_key(struct ocpp_cp *cp, const char *key, const char *value)
{
	const struct key_def *d = key_find(key);

	if (d == NULL || d->readonly)
		return -1;
	return key_set(cp, d, value);
}

static json_t *
op_get_conf(struct ocpp_cp *cp, json_t *req)
{
	json_t	*want = json_object_get(req, "key");
	json_t	*known = json_array(), *unknown = json_array();
	char	 v[500];

	for (size_t i = 0; i < NKEYS; i++) {
		bool	 asked = want == NULL || json_array_size(want) == 0;

		for (size_t j = 0; !asked && j < json_array_size(want); j++)
			asked = strcmp(json_string_value(json_array_get(want,
			    j)), keys[i].name) == 0;
		if (!asked)
			continue;
		key_value(cp, &keys[i], v, sizeof(v));
		json_array_append_new(known, json_pack("{s s s b s s}", "key",
		    keys[i].name, "readonly", keys[i].readonly, "value", v));
	}
	for (size_t j = 0; j < json_array_size(want); j++) {
		const char *k = json_string_value(json_array_get(want, j));

		if (key_find(k) == NULL)
			json_array_append_new(unknown, json_string(k));
	}
	return json_pack("{s o s o}", "configurationKey", known, "unknownKey",
	    unknown);
}

static const char *
op_change_conf(struct ocpp_cp *cp, json_t *req)
{
	const char *k = json_string_value(json_object_get(req, "key"));
	const char *v = json_string_value(json_object_get(req, "value"));
	const struct key_def *d = key_find(k);

	if (d == NULL)
		return "NotSupported";
	if (d->readonly || key_set(cp, d, v) != 0)
		return "Rejected";
	cp->ops.store(cp->ops.arg, &(struct ocpp_rec){ .kind = OCPP_REC_CONF,
	    .key = d->name, .value = v });
	return "Accepted";
}

/* ------------------------------------------------------------------ */
/* Local authorisation list and cache (OCPP 1.6 sections 3.4, 3.5) */

static struct ocpp_auth_entry *
entry_find(struct ocpp_auth_entry *e, int n, const char *tag)
{
	/* IdToken is case-insensitive (CiString20Type) */
	for (int i = 0; i < n; i++)
		if (strcasecmp(e[i].tag, tag) == 0)
			return &e[i];
	return NULL;
}

static void
entry_fill(struct ocpp_auth_entry *e, const char *tag, const char *status,
    json_t *info)
{
	snprintf(e->tag, sizeof(e->tag), "%s", tag);
	snprintf(e->status, sizeof(e->status), "%s", status);
	e->expiry_ms = expiry_ms_of(info);
}

void
ocpp_cache_put(struct ocpp_cp *cp, const char *tag, const char *status,
    json_t *info)
{
	struct ocpp_auth_entry *e;
	char	 value[48];

	/* 1.6, 3.5.3: a tag of the local list is not cached (the list
	 * has the last word on it) */
	if (!cp->keys.cache_enabled || (cp->keys.local_list_enabled &&
	    entry_find(cp->list, cp->nlist, tag) != NULL))
		return;
	e = entry_find(cp->cache, cp->ncache, tag);
	if (e == NULL) {
		if (cp->ncache == OCPP_CACHE_MAX)
			memmove(cp->cache, cp->cache + 1, (OCPP_CACHE_MAX - 1) *
			    sizeof(cp->cache[0]));	/* the oldest goes */
		else
			cp->ncache++;
		e = &cp->cache[cp->ncache - 1];
	}
	entry_fill(e, tag, status, info);
	/* the expiry is kept with the status ("Accepted;<ms>"): a tag
	 * whose validity ended stays refused after a restart (3.5.4) */
	if (e->expiry_ms != 0)
		snprintf(value, sizeof(value), "%s;%lld", e->status,
		    (long long)e->expiry_ms);
	else
		snprintf(value, sizeof(value), "%s", e->status);
	cp->ops.store(cp->ops.arg, &(struct ocpp_rec){ .kind =
	    OCPP_REC_CACHE_PUT, .key = tag, .value = value });
}

/* A cache row: "status" or "status;expiry_ms" (ocpp_cache_put). */
int
ocppcore_load_cache(struct ocpp_cp *cp, const char *tag, const char *value)
{
	struct ocpp_auth_entry *e;
	size_t	 n = strcspn(value, ";");
	char	*end;

	if (cp->ncache == OCPP_CACHE_MAX || strlen(tag) > OCPP_TAG_LEN ||
	    n >= sizeof(e->status))
		return -1;
	e = &cp->cache[cp->ncache];
	entry_fill(e, tag, "", NULL);
	snprintf(e->status, sizeof(e->status), "%.*s", (int)n, value);
	if (value[n] == ';') {
		e->expiry_ms = strtoll(value + n + 1, &end, 10);
		if (end == value + n + 1 || *end != '\0' || e->expiry_ms <= 0)
			return -1;
	}
	cp->ncache++;
	return 0;
}

static json_t *
list_json(const struct ocpp_cp *cp)
{
	json_t	*a = json_array();

	for (int i = 0; i < cp->nlist; i++)
		json_array_append_new(a, json_pack("{s s s s s I}", "idTag",
		    cp->list[i].tag, "status", cp->list[i].status, "expiry",
		    (json_int_t)cp->list[i].expiry_ms));
	return a;
}

int
ocppcore_load_list(struct ocpp_cp *cp, int version, const char *text)
{
	json_t	*a = json_loads(text, 0, NULL), *e;
	size_t	 i;

	if (!json_is_array(a) || json_array_size(a) > OCPP_LIST_MAX) {
		json_decref(a);
		return -1;
	}
	free(cp->list);
	cp->list = calloc(OCPP_LIST_MAX, sizeof(*cp->list));
	cp->nlist = 0;
	cp->list_version = version;
	json_array_foreach(a, i, e) {
		struct ocpp_auth_entry *x = &cp->list[cp->nlist];
		const char *t = json_string_value(json_object_get(e, "idTag"));
		const char *s = json_string_value(json_object_get(e, "status"));

		if (cp->list == NULL || t == NULL || s == NULL)
			continue;
		snprintf(x->tag, sizeof(x->tag), "%s", t);
		snprintf(x->status, sizeof(x->status), "%s", s);
		x->expiry_ms = json_integer_value(json_object_get(e, "expiry"));
		cp->nlist++;
	}
	json_decref(a);
	return 0;
}

/* The list's version as the CSMS is told it (1.6, 5.9): 0 for an empty
 * list, whatever version emptied it. */
static int
list_version(const struct ocpp_cp *cp)
{
	return cp->nlist > 0 ? cp->list_version : 0;
}

/* A Full update gives every tag's idTagInfo (1.6, 7.22: "Required when
 * UpdateType is Full"): one without says nothing of it. */
static bool
full_complete(json_t *items)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(items, i, e)
		if (json_object_get(e, "idTagInfo") == NULL)
			return false;
	return true;
}

static const char *
op_send_list(struct ocpp_cp *cp, json_t *req)
{
	json_t	*items = json_object_get(req, "localAuthorizationList"), *e, *j;
	int	 version = (int)json_integer_value(json_object_get(req,
	    "listVersion"));
	bool	 full = strcmp(json_string_value(json_object_get(req,
	    "updateType")), "Full") == 0;
	struct ocpp_auth_entry *nl;
	int	 n = 0;
	size_t	 i;
	char	*t;

	if (!cp->keys.local_list_enabled)
		return "NotSupported";
	if (json_array_size(items) > OCPP_SEND_LIST_MAX || version < 0 ||
	    (full && !full_complete(items)))
		return "Failed";
	/* 1.6 section 5.15: a differential update must be newer */
	if (!full && version <= list_version(cp))
		return "VersionMismatch";
	nl = calloc(OCPP_LIST_MAX, sizeof(*nl));
	if (nl == NULL)
		return "Failed";
	if (!full && cp->nlist > 0)
		memcpy(nl, cp->list, (size_t)cp->nlist * sizeof(*nl));
	n = full ? 0 : cp->nlist;
	json_array_foreach(items, i, e) {
		const char *tag = json_string_value(json_object_get(e, "idTag"));
		json_t	*info = json_object_get(e, "idTagInfo");
		struct ocpp_auth_entry *x = entry_find(nl, n, tag);

		if (info == NULL) {	/* Differential: removed */
			if (x != NULL)
				*x = nl[--n];
			continue;
		}
		if (x == NULL && n == OCPP_LIST_MAX) {
			free(nl);
			return "Failed";
		}
		if (x == NULL)
			x = &nl[n++];
		entry_fill(x, tag, json_string_value(json_object_get(info,
		    "status")), info);
	}
	free(cp->list);
	cp->list = nl;
	cp->nlist = n;
	cp->list_version = version;
	j = list_json(cp);
	t = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	cp->ops.store(cp->ops.arg, &(struct ocpp_rec){ .kind = OCPP_REC_LIST,
	    .version = version, .payload = t ? t : "[]" });
	free(t);
	return "Accepted";
}

/* What the list, then the cache, say of a tag: its entry when it is
 * valid now ("Accepted" not expired), else NULL; *known: listed at all. */
static const struct ocpp_auth_entry *
local_valid(struct ocpp_cp *cp, const char *tag, int64_t wall, bool *known)
{
	struct ocpp_auth_entry *e = NULL;

	if (cp->keys.local_list_enabled)
		e = entry_find(cp->list, cp->nlist, tag);
	if (e == NULL && cp->keys.cache_enabled)
		e = entry_find(cp->cache, cp->ncache, tag);
	*known = e != NULL;
	if (e == NULL || strcmp(e->status, "Accepted") != 0 ||
	    (e->expiry_ms != 0 && e->expiry_ms <= wall))
		return NULL;
	return e;
}

static void
auth_decide(struct ocpp_cp *cp, int k, const char *tag, bool ok,
    const char *why)
{
	bool	 in_range = k >= 1 && k <= OCPP_MAX_CONN;

	if (ok && in_range)
		snprintf(cp->auth_tag[k], sizeof(cp->auth_tag[k]), "%s", tag);
	/* a tag the site could not act on (the car left meanwhile) is not
	 * kept for the connector's next session */
	if (ocpp_act(cp, ok ? OCPP_ACT_AUTHORISE : OCPP_ACT_REFUSE, k, tag,
	    why) != 0 && in_range)
		cp->auth_tag[k][0] = '\0';
}

void
ocpp_auth_answer(struct ocpp_cp *cp, int k, const char *tag, json_t *info)
{
	const char *st = json_string_value(json_object_get(info, "status"));

	if (st == NULL)
		st = "Invalid";
	ocpp_cache_put(cp, tag, st, info);
	auth_decide(cp, k, tag, strcmp(st, "Accepted") == 0, st);
}

/* The CSMS cannot be asked (1.6 section 3.3.1): LocalAuthorizeOffline
 * takes the list and the cache; AllowOfflineTxForUnknownId a tag they do
 * not know. */
void
ocpp_auth_offline(struct ocpp_cp *cp, int k, const char *tag)
{
	bool	 known;
	const struct ocpp_auth_entry *e = local_valid(cp, tag,
	    cp->wall_ms, &known);

	if (cp->keys.local_authorize_offline && e != NULL)
		auth_decide(cp, k, tag, true, "offline: locally accepted");
	else if (!known && cp->keys.allow_offline_tx_for_unknown_id)
		auth_decide(cp, k, tag, true, "offline: unknown tag allowed");
	else
		auth_decide(cp, k, tag, false, "offline: not accepted locally");
}

void
ocppcore_authorize(struct ocpp_cp *cp, int k, const char *tag,
    uint64_t now, int64_t wall)
{
	bool	 known;
	const struct ocpp_auth_entry *e;

	cp->wall_ms = wall;
	if (strlen(tag) > OCPP_TAG_LEN) {
		auth_decide(cp, k, tag, false, "tag too long for OCPP");
		return;
	}
	e = local_valid(cp, tag, wall, &known);
	if (cp->up && cp->boot == OCPP_BOOT_ACCEPTED) {
		if (cp->keys.local_pre_authorize && e != NULL) {
			auth_decide(cp, k, tag, true, "locally pre-authorised");
			return;
		}
		if (ocpp_mq_push(cp, OCPP_A_AUTHORIZE, json_pack("{s s}",
		    "idTag", tag), k, tag) == 0) {
			ocppcore_tick(cp, now, wall);
			return;
		}
	}
	ocpp_auth_offline(cp, k, tag);
}

/* ------------------------------------------------------------------ */
/* The operations */

static int
nconn(const struct ocpp_cp *cp)
{
	return cp->have_in ? cp->in.nconn : 0;
}

static bool
conn_in_tx(const struct ocpp_cp *cp, int k)
{
	uint16_t st = cp->in.c[k - 1].state;

	return st == CS_AUTH_WAIT_CAR || st == CS_CHARGING ||
	    st == CS_NO_CURRENT || st == CS_SUSPENDED_EV;
}

static json_t *
status_json(const char *st)
{
	return json_pack("{s s}", "status", st);
}

/* A connector a remote start may be given: neither Faulted nor
 * Unavailable (out of service, or asked Inoperative by the CSMS). */
static bool
conn_startable(const struct ocpp_cp *cp, int k)
{
	const char *st, *err, *vendor;

	ocppcore_status_of(cp->in.online, &cp->in.c[k - 1], &st, &err,
	    &vendor);
	return strcmp(st, "Faulted") != 0 && strcmp(st, "Unavailable") != 0 &&
	    !cp->inoperative[k] && !cp->inoperative[0];
}

static json_t *
op_remote_start(struct ocpp_cp *cp, json_t *req)
{
	json_t	*jk = json_object_get(req, "connectorId");
	const char *tag = json_string_value(json_object_get(req, "idTag"));
	int	 k = jk ? (int)json_integer_value(jk) : 0;

	if (jk == NULL) {
		/* no connector named: the one a car waits at, else the
		 * first free one */
		for (int i = 1; i <= nconn(cp) && k == 0; i++)
			if (cp->in.c[i - 1].state == CS_WAIT_AUTH)
				k = i;
		for (int i = 1; i <= nconn(cp) && k == 0; i++)
			if (cp->in.c[i - 1].state == CS_AVAILABLE)
				k = i;
	}
	if (k < 1 || k > nconn(cp) || !cp->in.online ||
	    ocpp_tx_open(cp, k) != NULL || conn_in_tx(cp, k) ||
	    !conn_startable(cp, k))
		return status_json("Rejected");
	if (ocpp_act(cp, OCPP_ACT_AUTHORISE, k, tag,
	    "RemoteStartTransaction") != 0)
		return status_json("Rejected");
	snprintf(cp->remote_tag[k], sizeof(cp->remote_tag[k]), "%s", tag);
	return status_json("Accepted");
}

static json_t *
op_remote_stop(struct ocpp_cp *cp, json_t *req)
{
	json_int_t id = json_integer_value(json_object_get(req,
	    "transactionId"));

	for (int i = 0; i < cp->ntx; i++) {
		struct ocpp_tx *t = &cp->tx[i];

		if (!t->open || t->txid == 0 || t->txid != id)
			continue;
		if (ocpp_act(cp, OCPP_ACT_STOP, t->connector, t->tag,
		    "RemoteStopTransaction") != 0)
			return status_json("Rejected");
		cp->stop_reason[t->connector] = "Remote";
		return status_json("Accepted");
	}
	return status_json("Rejected");
}

static json_t *
op_change_avail(struct ocpp_cp *cp, json_t *req)
{
	int	 k = (int)json_integer_value(json_object_get(req,
	    "connectorId"));
	bool	 off = strcmp(json_string_value(json_object_get(req, "type")),
	    "Inoperative") == 0;
	bool	 scheduled = false;

	if (k < 0 || k > nconn(cp))
		return status_json("Rejected");
	for (int i = k ? k : 1; i <= (k ? k : nconn(cp)); i++) {
		cp->inoperative[i] = off;
		if (ocpp_tx_open(cp, i) != NULL && off) {
			/* 1.6 section 5.2: after the transaction */
			cp->avail_scheduled[i] = true;
			scheduled = true;
			continue;
		}
		cp->avail_scheduled[i] = false;
		if (ocpp_act(cp, off ? OCPP_ACT_LOCK : OCPP_ACT_UNLOCK, i, NULL,
		    "ChangeAvailability") != 0)
			return status_json("Rejected");
	}
	cp->inoperative[0] = k == 0 && off;
	return status_json(scheduled ? "Scheduled" : "Accepted");
}

static json_t *
op_reset(struct ocpp_cp *cp, json_t *req, int64_t wall)
{
	const char *reason = strcmp(json_string_value(json_object_get(req,
	    "type")), "Hard") == 0 ? "HardReset" : "SoftReset";

	/* 1.6 section 5.14: stop every transaction, then reboot: the
	 * master's charge point reconnects and boots again */
	for (int i = 0; i < cp->ntx; i++) {
		struct ocpp_tx *t = &cp->tx[i];

		if (!t->open)
			continue;
		(void)ocpp_act(cp, OCPP_ACT_STOP, t->connector, t->tag, reason);
		cp->ended_session[t->connector] = t->session_no;
		ocpp_tx_stop(cp, t, t->connector <= nconn(cp) ?
		    cp->in.c[t->connector - 1].total_wh : t->meter_start,
		    reason, wall);
	}
	cp->reset_pending = true;
	return status_json("Accepted");
}

static json_t *
op_trigger(struct ocpp_cp *cp, json_t *req, int64_t wall)
{
	const char *m = json_string_value(json_object_get(req,
	    "requestedMessage"));
	json_t	*jk = json_object_get(req, "connectorId");
	int	 k = jk ? (int)json_integer_value(jk) : -1;

	if (jk != NULL && (k < 0 || k > nconn(cp)))
		return status_json("Rejected");
	if (strcmp(m, "BootNotification") == 0)
		cp->trigger_boot = true;
	else if (strcmp(m, "Heartbeat") == 0)
		(void)ocpp_mq_push(cp, OCPP_A_HEARTBEAT, json_object(), 0,
		    NULL);
	else if (strcmp(m, "StatusNotification") == 0) {
		for (int i = 0; i <= OCPP_MAX_CONN; i++)
			if (k < 0 || k == i)
				cp->told[i][0] = '\0';
		if (cp->have_in)
			ocppcore_input(cp, &cp->in, cp->last_call_ms, wall);
	} else if (strcmp(m, "MeterValues") == 0) {
		for (int i = 1; i <= nconn(cp); i++)
			if (k <= 0 || k == i)
				(void)ocpp_mq_push(cp, OCPP_A_METER,
				    ocpp_meter_json(cp, i, cp->keys.sampled,
				    "Trigger", wall), i, NULL);
	} else
		return status_json("NotImplemented");
	return status_json("Accepted");
}

static json_t *
op_profile(struct ocpp_cp *cp, const char *action, json_t *req, int64_t wall)
{
	json_t	*jk = json_object_get(req, "connectorId");
	int	 k = jk ? (int)json_integer_value(jk) : 0;
	struct ocpp_tx *t = k > 0 ? ocpp_tx_open(cp, k) : NULL;
	json_t	*r = cp->ops.profile ? cp->ops.profile(cp->ops.arg, action, req,
	    t ? t->txid : 0, wall) : NULL;

	if (r != NULL)
		return r;
	if (strcmp(action, "SetChargingProfile") == 0)
		return status_json("NotSupported");
	if (strcmp(action, "ClearChargingProfile") == 0)
		return status_json("Unknown");
	return status_json("Rejected");
}

enum op { OP_REMOTE_START, OP_REMOTE_STOP, OP_CHANGE_AVAIL, OP_RESET,
	OP_UNLOCK, OP_GET_CONF, OP_CHANGE_CONF, OP_CLEAR_CACHE, OP_TRIGGER,
	OP_DATA, OP_SEND_LIST, OP_LIST_VERSION, OP_SET_PROFILE,
	OP_CLEAR_PROFILE, OP_COMPOSITE };

static const struct {
	const char	*name;
	const struct field *schema;
	enum op		 op;
} ops[] = {
	{ "RemoteStartTransaction", s_remote_start, OP_REMOTE_START },
	{ "RemoteStopTransaction", s_remote_stop, OP_REMOTE_STOP },
	{ "ChangeAvailability", s_change_avail, OP_CHANGE_AVAIL },
	{ "Reset", s_reset, OP_RESET },
	{ "UnlockConnector", s_connector, OP_UNLOCK },
	{ "GetConfiguration", s_get_conf, OP_GET_CONF },
	{ "ChangeConfiguration", s_change_conf, OP_CHANGE_CONF },
	{ "ClearCache", s_empty, OP_CLEAR_CACHE },
	{ "TriggerMessage", s_trigger, OP_TRIGGER },
	{ "DataTransfer", s_data_transfer, OP_DATA },
	{ "SendLocalList", s_send_list, OP_SEND_LIST },
	{ "GetLocalListVersion", s_empty, OP_LIST_VERSION },
	{ "SetChargingProfile", s_set_profile, OP_SET_PROFILE },
	{ "ClearChargingProfile", s_clear_profile, OP_CLEAR_PROFILE },
	{ "GetCompositeSchedule", s_composite, OP_COMPOSITE },
};

/* 1.6 operations a CSMS may send that this charge point does not offer:
 * NotSupported (known, not offered), not NotImplemented (unknown). */
static const char *const unsupported =
    "|CancelReservation|GetDiagnostics|ReserveNow|UpdateFirmware|";

static json_t *
run_op(struct ocpp_cp *cp, enum op op, const char *name, json_t *req,
    int64_t wall)
{
	switch (op) {
	case OP_REMOTE_START:
		return op_remote_start(cp, req);
	case OP_REMOTE_STOP:
		return op_remote_stop(cp, req);
	case OP_CHANGE_AVAIL:
		return op_change_avail(cp, req);
	case OP_RESET:
		return op_reset(cp, req, wall);
	case OP_UNLOCK:
		/* our connectors have no cable lock the master drives
		 * (docs/protocol.md: lock is out of service) */
		return status_json("NotSupported");
	case OP_GET_CONF:
		return op_get_conf(cp, req);
	case OP_CHANGE_CONF:
		return status_json(op_change_conf(cp, req));
	case OP_CLEAR_CACHE:
		cp->ncache = 0;
		cp->ops.store(cp->ops.arg, &(struct ocpp_rec){ .kind =
		    OCPP_REC_CACHE_CLEAR });
		return status_json("Accepted");
	case OP_TRIGGER:
		return op_trigger(cp, req, wall);
	case OP_DATA:
		return status_json("UnknownVendorId");
	case OP_SEND_LIST:
		return status_json(op_send_list(cp, req));
	case OP_LIST_VERSION:
		return json_pack("{s i}", "listVersion",
		    cp->keys.local_list_enabled ? list_version(cp) : -1);
	case OP_SET_PROFILE:
	case OP_CLEAR_PROFILE:
	case OP_COMPOSITE:
		return op_profile(cp, name, req, wall);
	}
	return NULL;
}

void
ocpp_dispatch(struct ocpp_cp *cp, const char *id, json_t *f, uint64_t now,
    int64_t wall)
{
	const char *name = json_string_value(json_array_get(f, 2));
	json_t	*req = json_array_get(f, 3), *res;
	char	 why[96] = "", pat[64];
	const char *code;
	size_t	 i;

	if (json_array_size(f) != 4 || name == NULL || !json_is_object(req) ||
	    has_nul(json_array_get(f, 2))) {
		ocpp_send_error(cp, id, "FormationViolation",
		    "a CALL is [2, id, action, {payload}]");
		return;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		snprintf(pat, sizeof(pat), "|%.50s|", name);
		if (strchr(name, '|') == NULL && strstr(unsupported, pat))
			ocpp_send_error(cp, id, "NotSupported", "not offered "
			    "by this charge point");
		else
			ocpp_send_error(cp, id, "NotImplemented",
			    "unknown action");
		return;
	}
	if ((code = check_obj(req, ops[i].schema, why, sizeof(why))) != NULL) {
		ocpp_send_error(cp, id, code, why);
		return;
	}
	/* what the operation queues goes after its answer */
	cp->hold = true;
	res = run_op(cp, ops[i].op, name, req, wall);
	cp->hold = false;
	ocpp_send_result(cp, id, res);
	if (cp->reset_pending) {
		cp->reset_pending = false;
		ocpp_act(cp, OCPP_ACT_RECONNECT, 0, NULL, "Reset");
		ocppcore_down(cp, "Reset", now);
	}
}
