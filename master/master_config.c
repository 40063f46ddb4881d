/*
 * master_config.c: the master's configuration table and cross-field
 * checks. See config/master.ini for a commented example.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "bmsmap.h"
#include "master_config.h"
#include "mqttcore.h"
#include "strnum.h"
#include "units.h"
#include "webhook.h"

const char *const log_level_names[] = { "error", "warning", "info", "debug",
    NULL };
static const char *const mode_names[] = { "static", "dynamic", "hybrid",
    "green", NULL };
static const char *const strategy_names[] = { "zero", "minimise", "maximise",
    NULL };
static const char *const driver_names[] = { "sense", "sdm630", "sdm120",
    "generic", NULL };
static const char *const transport_names[] = { "tcp", "rtu", NULL };
static const char *const parity_names[] = { "none", "even", "odd", NULL };
static const char *const auth_names[] = { "free", "rfid", "csms",
    "rfid+csms", NULL };
static const char *const type_names[] = { "int16", "uint16", "int32",
    "uint32", "float32", NULL };
/* A circuit's meter: the index is its driver (enum meter_driver); the
 * generic driver (3, blank: not offered) is the supply's only, and
 * "none" (METER_NONE_IDX) leaves meter.enabled off. */
static const char *const cmeter_names[] = { "sense", "sdm630", "sdm120", "",
    "none", NULL };
static const char *const unit_names[] = { "kw", "kva", NULL };

#define S(f)	offsetof(struct master_config, site.f)
#define M(f)	offsetof(struct master_config, meter.f)
#define CL(f)	offsetof(struct master_config, meter.clamp[0].f)
#define CLS	sizeof(((struct master_config *)0)->meter.clamp[0])
#define W(f)	offsetof(struct master_config, web.f)
#define SM(f)	offsetof(struct master_config, smart_text.f)
#define AL(f)	offsetof(struct master_config, alarms.f)
#define DM(f)	offsetof(struct master_config, demand.f)
#define MQ(f)	offsetof(struct master_config, mqtt.f)
#define BM(f)	offsetof(struct master_config, bms.f)
#define OC(f)	offsetof(struct master_config, ocpp.f)
#define CI(f)	offsetof(struct master_config, circuit[0].f)
#define CSTRIDE	sizeof(struct circuit_conf)
#define NC	MASTER_MAX_CIRCUITS
#define CH(f)	offsetof(struct master_config, charger[0].f)
#define STRIDE	sizeof(struct charger_conf)
#define N	MASTER_MAX_CHARGERS

const struct cfg_key master_config_keys[] = {
	{ "site", "name", CFG_STR, 0, 0, "evgroup site", S(name), 64, NULL, 0,
	    0, NULL, "site name, shown on every screen" },
	{ "site", "poll_period", CFG_INT, 100, 60000, "1000", S(poll_period),
	    0, NULL, 0, 0, "ms", "how often every charger is polled" },
	{ "site", "response_timeout", CFG_INT, 20, 10000, "500",
	    S(response_timeout), 0, NULL, 0, 0, "ms",
	    "how long to wait for a charger's answer" },
	{ "site", "connect_timeout", CFG_INT, 20, 10000, "1000",
	    S(connect_timeout), 0, NULL, 0, 0, "ms",
	    "how long to wait for a TCP connection" },
	{ "site", "offline_after", CFG_INT, 1, 100, "3", S(offline_after), 0,
	    NULL, 0, 0, "polls", "failed polls before a charger is offline" },
	{ "site", "fallback_current", CFG_DECI, 0, 800, "0.0",
	    S(fallback_current), 0, NULL, 0, 0, "A",
	    "what a charger applies when it stops hearing from us: 0 or 6.0-80.0" },
	{ "site", "fallback_timeout", CFG_INT, REGMAP_FALLBACK_TIMEOUT_MIN,
	    REGMAP_FALLBACK_TIMEOUT_MAX, "10", S(fallback_timeout), 0, NULL, 0,
	    0, "s", "how long a charger waits for us before falling back" },
	{ "site", "log_level", CFG_ENUM, 0, 0, "info", S(log_level), 0,
	    log_level_names, 0, 0, NULL, "error, warning, info or debug" },
	{ "site", "stats_file", CFG_STR, 0, 0, "", S(stats_file), 256, NULL, 0,
	    0, NULL, "write link statistics (JSON) here every 10 polls" },
	{ "site", "status_file", CFG_STR, 0, 0, "", S(status_file), 256, NULL,
	    0, 0, NULL, "write the site's status (JSON) here every cycle" },
	{ "site", "database", CFG_STR, 0, 0, "evgroup.db", S(database), 256,
	    NULL, 0, 0, NULL, "sessions, events and history (SQLite); empty: "
	    "keep nothing" },
	{ "site", "history_days", CFG_INT, 1, 3650, "400", S(history_days), 0,
	    NULL, 0, 0, "days", "how long per-minute history is kept" },
	{ "site", "control_socket", CFG_STR, 0, 0, "", S(control_socket), 108,
	    NULL, 0, 0, NULL, "UNIX socket for operator commands" },
	{ "site", "mode", CFG_ENUM, 0, 0, "static", S(mode), 0, mode_names, 0,
	    0, NULL, "static, dynamic, hybrid or green" },
	{ "site", "offline_strategy", CFG_ENUM, 0, 0, "maximise", S(strategy),
	    0, strategy_names, 0, 0, NULL, "zero, minimise or maximise" },
	{ "site", "group_limit", CFG_DECI, 0, 20000, "32.0", S(group_limit), 0,
	    NULL, 0, 0, "A", "most all chargers together may take, per phase" },
	{ "site", "site_limit", CFG_DECI, 60, 20000, "100.0", S(site_limit), 0,
	    NULL, 0, 0, "A", "the main fuse, per phase" },
	{ "site", "margin", CFG_DECI, 0, 2000, "2.0", S(margin), 0, NULL, 0, 0,
	    "A", "kept free below the main fuse" },
	{ "site", "deadband", CFG_DECI, 0, 2000, "0.5", S(deadband), 0, NULL, 0,
	    0, "A", "a change of the building's load smaller than this moves "
	    "nobody (at most the margin)" },
	{ "site", "meter_offline_limit", CFG_DECI, 0, 20000, "10.0",
	    S(offline_limit), 0, NULL, 0, 0, "A",
	    "per phase for all chargers while the meter is silent" },
	{ "site", "min_run", CFG_INT, 0, 3600, "300", S(min_run), 0, NULL, 0, 0,
	    "s", "a started car runs at least this long (rotation)" },
	{ "site", "min_pause", CFG_INT, 0, 3600, "300", S(min_pause), 0, NULL,
	    0, 0, "s", "a paused car rests at least this long (rotation)" },
	{ "site", "green_start", CFG_INT, 0, 3600, "60", S(green_start), 0,
	    NULL, 0, 0, "s", "green: surplus must hold this long to start" },
	{ "site", "green_stop", CFG_INT, 0, 3600, "300", S(green_stop), 0, NULL,
	    0, 0, "s", "green: surplus must fail this long to stop" },
	{ "site", "authorisation", CFG_ENUM, 0, 0, "free", S(authorisation),
	    0, auth_names, 0, 0, NULL, "free: plug and charge; rfid: only "
	    "whitelisted tags (chargers set to remote authorisation); csms: "
	    "every tag asked of the CSMS over OCPP; rfid+csms: the whitelist "
	    "first, then the CSMS" },
	{ "site", "imbalance", CFG_DECI, 0, 20000, "0.0", S(imbalance), 0, NULL,
	    0, 0, "A", "largest difference between two phases' currents at "
	    "the supply, the building included; 0: no limit" },
	{ "web", "enabled", CFG_BOOL, 0, 0, "yes", W(enabled), 0, NULL, 0, 0,
	    NULL, "serve the web UI and the JSON API" },
	{ "web", "listen", CFG_STR, 0, 0, "127.0.0.1", W(listen), 48, NULL, 0,
	    0, NULL, "IPv4 address the web UI listens on (0.0.0.0: all)" },
	{ "web", "port", CFG_INT, 1, 65535, "8080", W(port), 0, NULL, 0, 0,
	    NULL, "TCP port of the web UI" },
	{ "web", "cert", CFG_STR, 0, 0, "", W(cert), 256, NULL, 0, 0, NULL,
	    "PEM certificate file; with key, the web UI is HTTPS only" },
	{ "web", "key", CFG_STR, 0, 0, "", W(key), 256, NULL, 0, 0, NULL,
	    "PEM private key file of the certificate" },
	{ "web", "idle_timeout", CFG_INT, 60, 86400, "1800", W(idle_timeout),
	    0, NULL, 0, 0, "s", "a login ends after this long without use" },
	{ "web", "hostnames", CFG_STR, 0, 0, "", W(hostnames), 256, NULL, 0,
	    0, NULL, "the names the appliance is reached by, comma-separated "
	    "(requests for other names are refused: DNS rebinding); its IP "
	    "addresses and localhost always work" },
	{ "meter", "enabled", CFG_BOOL, 0, 0, "no", M(enabled), 0, NULL, 0, 0,
	    NULL, "a meter measures the site's supply" },
	{ "meter", "driver", CFG_ENUM, 0, 0, "sense", M(driver), 0,
	    driver_names, 0, 0, NULL, "sense, sdm630, sdm120 or generic" },
	{ "meter", "transport", CFG_ENUM, 0, 0, "tcp", M(transport), 0,
	    transport_names, 0, 0, NULL, "tcp (Modbus TCP) or rtu (RS485)" },
	{ "meter", "host", CFG_STR, 0, 0, "", M(host), 64, NULL, 0, 0, NULL,
	    "tcp: the meter's address" },
	{ "meter", "port", CFG_INT, 1, 65535, "502", M(port), 0, NULL, 0, 0,
	    NULL, "tcp: port" },
	{ "meter", "device", CFG_STR, 0, 0, "/dev/ttyUSB0", M(device), 128,
	    NULL, 0, 0, NULL, "rtu: serial device" },
	{ "meter", "baud", CFG_INT, 1200, 115200, "9600", M(baud), 0, NULL, 0,
	    0, NULL, "rtu: baud rate" },
	{ "meter", "parity", CFG_ENUM, 0, 0, "none", M(parity), 0, parity_names,
	    0, 0, NULL, "rtu: none, even or odd" },
	{ "meter", "unit_id", CFG_INT, 1, 247, "1", M(unit_id), 0, NULL, 0, 0,
	    NULL, "Modbus unit id" },
	{ "meter", "poll_period", CFG_INT, 100, 10000, "500", M(poll_period),
	    0, NULL, 0, 0, "ms", "how often the meter is read" },
	{ "meter", "offline_after", CFG_INT, 1, 100, "3", M(offline_after), 0,
	    NULL, 0, 0, NULL, "faulty readings in a row before offline" },
	{ "meter", "chargers_included", CFG_BOOL, 0, 0, "yes",
	    M(chargers_included), 0, NULL, 0, 0, NULL,
	    "the clamps also measure the chargers" },
	{ "clamp", "enabled", CFG_BOOL, 0, 0, "yes", CL(enabled), 0, NULL, 3,
	    CLS, NULL, "a clamp on this phase" },
	{ "clamp", "ct_rating", CFG_DECI, 10, 50000, "100.0", CL(ct_rating), 0,
	    NULL, 3, CLS, "A", "the clamp's rating" },
	{ "clamp", "register", CFG_INT, 0, 65535, "0", CL(addr), 0, NULL, 3, CLS,
	    NULL, "generic: input register of this phase's current" },
	{ "clamp", "type", CFG_ENUM, 0, 0, "int16", CL(type), 0, type_names, 3,
	    CLS, NULL, "generic: int16 uint16 int32 uint32 float32" },
	{ "clamp", "word_swap", CFG_BOOL, 0, 0, "no", CL(word_swap), 0, NULL, 3,
	    CLS, NULL, "generic: low word first" },
	{ "clamp", "scale", CFG_INT, -1000000, 1000000, "1000",
	    CL(scale_milli), 0, NULL, 3, CLS, NULL,
	    "generic: 0.001 x 0.1 A per raw unit (1000: raw is 0.1 A)" },
	{ "smart", "enabled", CFG_BOOL, 0, 0, "no", SM(enabled), 0, NULL, 0, 0,
	    NULL, "no-charge periods and randomised delays (UK 2021)" },
	{ "smart", "days", CFG_STR, 0, 0, "mon-fri", SM(days), 64, NULL, 0, 0,
	    NULL, "days the no-charge periods apply: mon-fri, all, mon,sat" },
	{ "smart", "no_charge1", CFG_STR, 0, 0, "08:00-11:00",
	    SM(no_charge[0]), 16, NULL, 0, 0, NULL, "HH:MM-HH:MM or off" },
	{ "smart", "no_charge2", CFG_STR, 0, 0, "16:00-22:00",
	    SM(no_charge[1]), 16, NULL, 0, 0, NULL, "HH:MM-HH:MM or off" },
	{ "smart", "random_delay", CFG_INT, 0, SMART_DELAY_MAX_S, "600",
	    SM(random_delay), 0, NULL, 0, 0, "s",
	    "most random delay at a session's start and a period's end" },
	{ "alarms", "webhook_url", CFG_STR, 0, 0, "", AL(webhook_url),
	    HOOK_URL_LEN, NULL, 0, 0, NULL, "http:// or https:// address that "
	    "gets each new alarm as a JSON POST; empty: none" },
	{ "alarms", "webhook_token", CFG_STR, 0, 0, "", AL(webhook_token),
	    HOOK_TOKEN_LEN, NULL, 0, 0, NULL, "sent as \"Authorization: Bearer "
	    "...\" when set; never shown back" },
	{ "alarms", "webhook_cleared", CFG_BOOL, 0, 0, "no",
	    AL(webhook_cleared), 0, NULL, 0, 0, NULL, "also POST when an "
	    "alarm clears" },
	{ "mqtt", "enabled", CFG_BOOL, 0, 0, "no", MQ(enabled), 0, NULL, 0, 0,
	    NULL, "publish the site to an MQTT broker" },
	{ "mqtt", "host", CFG_STR, 0, 0, "localhost", MQ(host), 128, NULL, 0, 0,
	    NULL, "the broker's address or host name" },
	{ "mqtt", "port", CFG_INT, 1, 65535, "1883", MQ(port), 0, NULL, 0, 0,
	    NULL, "the broker's port (8883 is usual with TLS)" },
	{ "mqtt", "tls", CFG_BOOL, 0, 0, "no", MQ(tls), 0, NULL, 0, 0, NULL,
	    "connect with TLS" },
	{ "mqtt", "ca_file", CFG_STR, 0, 0, "", MQ(ca_file), 256, NULL, 0, 0,
	    NULL, "TLS: the CA certificate (PEM) that signed the broker's; "
	    "empty: the system's" },
	{ "mqtt", "cert_file", CFG_STR, 0, 0, "", MQ(cert_file), 256, NULL, 0,
	    0, NULL, "TLS: our client certificate (PEM); empty: none" },
	{ "mqtt", "key_file", CFG_STR, 0, 0, "", MQ(key_file), 256, NULL, 0, 0,
	    NULL, "TLS: its private key (PEM)" },
	{ "mqtt", "username", CFG_STR, 0, 0, "", MQ(username), 64, NULL, 0, 0,
	    NULL, "the broker's user name; empty: none" },
	{ "mqtt", "password", CFG_STR, 0, 0, "", MQ(password), 128, NULL, 0, 0,
	    NULL, "its password; never shown back" },
	{ "mqtt", "client_id", CFG_STR, 0, 0, "", MQ(client_id), 64, NULL, 0, 0,
	    NULL, "empty: evgroup-<site name>" },
	{ "mqtt", "base_topic", CFG_STR, 0, 0, "", MQ(base_topic), 96, NULL, 0,
	    0, NULL, "every topic starts with it; empty: evgroup/<site name>" },
	{ "mqtt", "qos", CFG_INT, 0, 2, "1", MQ(qos), 0, NULL, 0, 0, NULL,
	    "MQTT quality of service: 0, 1 or 2" },
	{ "mqtt", "retain", CFG_BOOL, 0, 0, "yes", MQ(retain), 0, NULL, 0, 0,
	    NULL, "the state is retained by the broker" },
	{ "mqtt", "discovery", CFG_BOOL, 0, 0, "yes", MQ(discovery), 0, NULL, 0,
	    0, NULL, "Home Assistant's MQTT discovery" },
	{ "mqtt", "discovery_prefix", CFG_STR, 0, 0, "homeassistant",
	    MQ(discovery_prefix), 64, NULL, 0, 0, NULL,
	    "Home Assistant's discovery prefix" },
	{ "mqtt", "commands", CFG_BOOL, 0, 0, "no", MQ(commands), 0, NULL, 0, 0,
	    NULL, "take pause, resume, boost and the group limit from MQTT" },
	{ "demand", "enabled", CFG_BOOL, 0, 0, "no", DM(enabled), 0, NULL, 0,
	    0, NULL, "keep the supply's average power over each window under "
	    "the target (capacity tariff)" },
	{ "demand", "window", CFG_INT, 15, 60, "15", DM(window), 0, NULL, 0, 0,
	    "min", "15, 30 or 60: windows start on the clock (hh:00, hh:15...)" },
	{ "demand", "target", CFG_DECI, 10, 100000, "100.0", DM(target), 0,
	    NULL, 0, 0, "kW", "the highest average power over a window (kW, or "
	    "kVA with unit kva)" },
	{ "demand", "unit", CFG_ENUM, 0, 0, "kw", DM(apparent), 0, unit_names,
	    0, 0, NULL, "kw (real power) or kva (apparent: UK agreed capacity)" },
	{ "bms", "enabled", CFG_BOOL, 0, 0, "no", BM(enabled), 0, NULL, 0, 0,
	    NULL, "serve the building management map over Modbus TCP "
	    "(docs/bms.md)" },
	{ "bms", "listen", CFG_STR, 0, 0, "127.0.0.1", BM(listen), 48, NULL, 0,
	    0, NULL, "IPv4 address it listens on (0.0.0.0: all); anyone who "
	    "reaches it reads" },
	{ "bms", "port", CFG_INT, 1, 65535, "1502", BM(port), 0, NULL, 0, 0,
	    NULL, "its TCP port" },
	{ "bms", "writers", CFG_STR, 0, 0, "", BM(writers), 256, NULL, 0, 0,
	    NULL, "IPv4 addresses or blocks (a.b.c.d/n), comma-separated, that "
	    "may write (the external limit, the pause); empty: nobody" },
	{ "ocpp", "enabled", CFG_BOOL, 0, 0, "no", OC(enabled), 0, NULL, 0, 0,
	    NULL, "each charger a charge point of a CSMS over OCPP 1.6J "
	    "(docs/ocpp.md)" },
	{ "ocpp", "url", CFG_STR, 0, 0, "", OC(url), 256, NULL, 0, 0, NULL,
	    "the CSMS's ws:// or wss:// address; each charger's identity is "
	    "added as one more path segment" },
	{ "ocpp", "security_profile", CFG_INT, 0, 2, "0", OC(security_profile),
	    0, NULL, 0, 0, NULL, "0 no authentication, 1 basic auth, 2 TLS "
	    "(wss://) with basic auth" },
	{ "ocpp", "password", CFG_STR, 0, 0, "", OC(password), 65, NULL, 0, 0,
	    NULL, "basic-auth password (AuthorizationKey) of every charger "
	    "without its own; profiles 1 and 2; never shown back" },
	{ "ocpp", "ca_file", CFG_STR, 0, 0, "", OC(ca_file), 256, NULL, 0, 0,
	    NULL, "wss://: the CA certificate (PEM) that signed the CSMS's; "
	    "empty: the system's" },
	{ "ocpp", "heartbeat_interval", CFG_INT, 10, 86400, "300",
	    OC(heartbeat_interval), 0, NULL, 0, 0, "s", "until the CSMS's "
	    "BootNotification answer gives its own" },
	{ "ocpp", "meter_sample_interval", CFG_INT, 0, 3600, "60",
	    OC(meter_sample_interval), 0, NULL, 0, 0, "s", "meter values "
	    "during a transaction (MeterValueSampleInterval); 0: none" },
	{ "ocpp", "clock_aligned_interval", CFG_INT, 0, 86400, "900",
	    OC(clock_aligned_interval), 0, NULL, 0, 0, "s", "meter values on "
	    "the clock (ClockAlignedDataInterval); 0: none" },
	{ "ocpp", "ping_interval", CFG_INT, 0, 3600, "30", OC(ping_interval),
	    0, NULL, 0, 0, "s", "websocket pings (WebSocketPingInterval); 0: "
	    "none" },
	{ "ocpp", "call_timeout", CFG_INT, 5, 600, "30", OC(call_timeout), 0,
	    NULL, 0, 0, "s", "a message the CSMS does not answer within this "
	    "is sent again" },
	{ "ocpp", "vendor", CFG_STR, 0, 0, "evgroup", OC(vendor), 21, NULL, 0,
	    0, NULL, "chargePointVendor of the BootNotification" },
	{ "ocpp", "model", CFG_STR, 0, 0, "evgroup-slave", OC(model), 21, NULL,
	    0, 0, NULL, "chargePointModel of the BootNotification" },
	{ "ocpp", "local_authorize_offline", CFG_BOOL, 0, 0, "yes",
	    OC(local_authorize_offline), 0, NULL, 0, 0, NULL, "CSMS "
	    "unreachable: tags in the local list or cache still start "
	    "(LocalAuthorizeOffline)" },
	{ "ocpp", "local_pre_authorize", CFG_BOOL, 0, 0, "no",
	    OC(local_pre_authorize), 0, NULL, 0, 0, NULL, "a tag valid in the "
	    "local list or cache starts without asking (LocalPreAuthorize)" },
	{ "ocpp", "allow_offline_tx_for_unknown_id", CFG_BOOL, 0, 0, "no",
	    OC(allow_offline_tx_for_unknown_id), 0, NULL, 0, 0, NULL, "CSMS "
	    "unreachable: unknown tags start too (AllowOfflineTxForUnknownId)" },
	{ "ocpp", "authorization_cache_enabled", CFG_BOOL, 0, 0, "yes",
	    OC(authorization_cache_enabled), 0, NULL, 0, 0, NULL, "remember "
	    "the CSMS's answers about tags (AuthorizationCacheEnabled)" },
	{ "circuit", "name", CFG_STR, 0, 0, "", CI(name), MASTER_NAME_LEN,
	    NULL, NC, CSTRIDE, NULL, "letters, digits . _ -: chargers name "
	    "their circuit by it" },
	{ "circuit", "parent", CFG_STR, 0, 0, "supply", CI(parent),
	    MASTER_NAME_LEN, NULL, NC, CSTRIDE, NULL, "supply, or the name of "
	    "the circuit it hangs under" },
	{ "circuit", "limit", CFG_DECI, 0, 20000, "0.0", CI(limit), 0, NULL, NC,
	    CSTRIDE, "A", "its fuse or cable rating, per phase (required)" },
	{ "circuit", "margin", CFG_DECI, 0, 2000, "0.0", CI(margin), 0, NULL,
	    NC, CSTRIDE, "A", "kept free below its limit" },
	{ "circuit", "imbalance", CFG_DECI, 0, 20000, "0.0", CI(imbalance), 0,
	    NULL, NC, CSTRIDE, "A", "largest difference between two of its "
	    "phases' currents; 0: no limit" },
	{ "circuit", "offline_limit", CFG_DECI, 0, 20000, "10.0",
	    CI(offline_limit), 0, NULL, NC, CSTRIDE, "A", "per phase for its "
	    "chargers while its meter is silent" },
	{ "circuit", "meter", CFG_ENUM, 0, 0, "none", CI(meter.driver), 0,
	    cmeter_names, NC, CSTRIDE, NULL, "none, sense, sdm630 or sdm120: "
	    "a meter of its own" },
	{ "circuit", "meter_transport", CFG_ENUM, 0, 0, "tcp",
	    CI(meter.transport), 0, transport_names, NC, CSTRIDE, NULL,
	    "tcp (Modbus TCP) or rtu (RS485)" },
	{ "circuit", "meter_host", CFG_STR, 0, 0, "", CI(meter.host), 64, NULL,
	    NC, CSTRIDE, NULL, "tcp: its meter's address" },
	{ "circuit", "meter_port", CFG_INT, 1, 65535, "502", CI(meter.port), 0,
	    NULL, NC, CSTRIDE, NULL, "tcp: port" },
	{ "circuit", "meter_device", CFG_STR, 0, 0, "/dev/ttyUSB1",
	    CI(meter.device), 128, NULL, NC, CSTRIDE, NULL,
	    "rtu: serial device" },
	{ "circuit", "meter_baud", CFG_INT, 1200, 115200, "9600",
	    CI(meter.baud), 0, NULL, NC, CSTRIDE, NULL, "rtu: baud rate" },
	{ "circuit", "meter_parity", CFG_ENUM, 0, 0, "none", CI(meter.parity),
	    0, parity_names, NC, CSTRIDE, NULL, "rtu: none, even or odd" },
	{ "circuit", "meter_unit_id", CFG_INT, 1, 247, "1", CI(meter.unit_id),
	    0, NULL, NC, CSTRIDE, NULL, "Modbus unit id" },
	{ "circuit", "meter_poll_period", CFG_INT, 100, 10000, "1000",
	    CI(meter.poll_period), 0, NULL, NC, CSTRIDE, "ms",
	    "how often its meter is read" },
	{ "circuit", "meter_offline_after", CFG_INT, 1, 100, "3",
	    CI(meter.offline_after), 0, NULL, NC, CSTRIDE, NULL,
	    "faulty readings in a row before offline" },
	{ "circuit", "meter_chargers_included", CFG_BOOL, 0, 0, "yes",
	    CI(meter.chargers_included), 0, NULL, NC, CSTRIDE, NULL,
	    "its clamps also measure its chargers" },
	{ "circuit", "ct_rating", CFG_DECI, 10, 50000, "100.0",
	    CI(meter.clamp[0].ct_rating), 0, NULL, NC, CSTRIDE, "A",
	    "sense: its clamps' rating (all three)" },
	{ "charger", "name", CFG_STR, 0, 0, "", CH(name), MASTER_NAME_LEN,
	    NULL, N, STRIDE, NULL, "name shown to operators" },
	{ "charger", "host", CFG_STR, 0, 0, "", CH(host), 16, NULL, N, STRIDE,
	    NULL, "the charger's IPv4 address" },
	{ "charger", "port", CFG_INT, 1, 65535, "502", CH(port), 0, NULL, N,
	    STRIDE, NULL, "Modbus TCP port" },
	{ "charger", "unit_id", CFG_INT, 1, 247, "1", CH(unit_id), 0, NULL, N,
	    STRIDE, NULL, "Modbus unit id" },
	{ "charger", "connectors", CFG_INT, 1, REGMAP_MAX_CONN, "2",
	    CH(connectors), 0, NULL, N, STRIDE, NULL, "1 or 2" },
	{ "charger", "phase1", CFG_ENUM, 0, 0, "L1L2L3", CH(conn[0].phase), 0,
	    phase_conn_names, N, STRIDE, NULL, "connector 1 wiring" },
	{ "charger", "phase2", CFG_ENUM, 0, 0, "L1L2L3", CH(conn[1].phase), 0,
	    phase_conn_names, N, STRIDE, NULL, "connector 2 wiring" },
	{ "charger", "max_current1", CFG_DECI, 60, 800, "32.0",
	    CH(conn[0].max_current), 0, NULL, N, STRIDE, "A",
	    "connector 1 rating" },
	{ "charger", "max_current2", CFG_DECI, 60, 800, "32.0",
	    CH(conn[1].max_current), 0, NULL, N, STRIDE, "A",
	    "connector 2 rating" },
	{ "charger", "min_current1", CFG_DECI, 60, 800, "6.0",
	    CH(conn[0].min_current), 0, NULL, N, STRIDE, "A",
	    "connector 1: below this the car pauses rather than trickles" },
	{ "charger", "min_current2", CFG_DECI, 60, 800, "6.0",
	    CH(conn[1].min_current), 0, NULL, N, STRIDE, "A",
	    "connector 2: below this the car pauses rather than trickles" },
	{ "charger", "priority1", CFG_INT, 0, 9, "0", CH(conn[0].priority), 0,
	    NULL, N, STRIDE, NULL, "connector 1: higher is served first" },
	{ "charger", "priority2", CFG_INT, 0, 9, "0", CH(conn[1].priority), 0,
	    NULL, N, STRIDE, NULL, "connector 2: higher is served first" },
	{ "charger", "circuit", CFG_STR, 0, 0, "supply", CH(circuit),
	    MASTER_NAME_LEN, NULL, N, STRIDE, NULL, "supply, or the name of "
	    "the circuit it is wired to" },
	{ "charger", "ocpp", CFG_BOOL, 0, 0, "yes", CH(ocpp), 0, NULL, N,
	    STRIDE, NULL, "a charge point of the CSMS when OCPP is on" },
	{ "charger", "ocpp_identity", CFG_STR, 0, 0, "", CH(ocpp_identity), 49,
	    NULL, N, STRIDE, NULL, "its charge point identity at the CSMS; "
	    "empty: its name" },
	{ "charger", "ocpp_password", CFG_STR, 0, 0, "", CH(ocpp_password), 65,
	    NULL, N, STRIDE, NULL, "its own basic-auth password; empty: "
	    "ocpp.password; never shown back" },
	{ NULL, NULL, 0, 0, 0, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/*
 * The installer's words for each setting: what the web UI's forms call
 * it and what the API's errors say instead of "charger13.min_current1"
 * (the file, --set and the console keep the keys: there they are what
 * the installer typed). Indexed sections get their prefix from
 * master_config_words() ("charger 'bay-013': ", "clamp L1: ").
 */
static const struct {
	const char	*section, *key, *words;
} labels[] = {
	{ "site", "name", "site name" },
	{ "site", "poll_period", "charger poll period" },
	{ "site", "response_timeout", "charger answer timeout" },
	{ "site", "connect_timeout", "connection timeout" },
	{ "site", "offline_after", "failed polls before offline" },
	{ "site", "fallback_current", "fallback current" },
	{ "site", "fallback_timeout", "fallback timeout" },
	{ "site", "log_level", "log level" },
	{ "site", "stats_file", "link statistics file" },
	{ "site", "status_file", "status file" },
	{ "site", "database", "database file" },
	{ "site", "history_days", "history kept" },
	{ "site", "control_socket", "console socket" },
	{ "site", "mode", "balancing mode" },
	{ "site", "offline_strategy", "when a charger is offline" },
	{ "site", "group_limit", "group limit" },
	{ "site", "site_limit", "main fuse" },
	{ "site", "margin", "margin" },
	{ "site", "deadband", "deadband" },
	{ "site", "meter_offline_limit", "meter offline limit" },
	{ "site", "min_run", "minimum run time" },
	{ "site", "min_pause", "minimum pause" },
	{ "site", "green_start", "green start delay" },
	{ "site", "green_stop", "green stop delay" },
	{ "site", "authorisation", "authorisation" },
	{ "site", "imbalance", "unbalanced-load limit" },
	{ "demand", "enabled", "demand limit on" },
	{ "demand", "window", "demand window" },
	{ "demand", "target", "demand target" },
	{ "demand", "unit", "demand unit" },
	{ "bms", "enabled", "BMS server on" },
	{ "bms", "listen", "BMS server address" },
	{ "bms", "port", "BMS server port" },
	{ "bms", "writers", "BMS writers" },
	{ "ocpp", "enabled", "OCPP on" },
	{ "ocpp", "url", "CSMS address" },
	{ "ocpp", "security_profile", "security profile" },
	{ "ocpp", "password", "OCPP password" },
	{ "ocpp", "ca_file", "CSMS CA certificate file" },
	{ "ocpp", "heartbeat_interval", "heartbeat interval" },
	{ "ocpp", "meter_sample_interval", "meter values interval" },
	{ "ocpp", "clock_aligned_interval", "clock-aligned meter values interval" },
	{ "ocpp", "ping_interval", "websocket ping interval" },
	{ "ocpp", "call_timeout", "CSMS answer timeout" },
	{ "ocpp", "vendor", "charge point vendor" },
	{ "ocpp", "model", "charge point model" },
	{ "ocpp", "local_authorize_offline", "local authorisation when offline" },
	{ "ocpp", "local_pre_authorize", "local pre-authorisation" },
	{ "ocpp", "allow_offline_tx_for_unknown_id", "unknown tags when offline" },
	{ "ocpp", "authorization_cache_enabled", "authorisation cache" },
	{ "circuit", "name", "name" },
	{ "circuit", "parent", "under" },
	{ "circuit", "limit", "limit" },
	{ "circuit", "margin", "margin" },
	{ "circuit", "imbalance", "unbalanced-load limit" },
	{ "circuit", "offline_limit", "meter offline limit" },
	{ "circuit", "meter", "meter type" },
	{ "circuit", "meter_transport", "meter connection" },
	{ "circuit", "meter_host", "meter address" },
	{ "circuit", "meter_port", "meter port" },
	{ "circuit", "meter_device", "meter serial device" },
	{ "circuit", "meter_baud", "meter baud rate" },
	{ "circuit", "meter_parity", "meter parity" },
	{ "circuit", "meter_unit_id", "meter unit id" },
	{ "circuit", "meter_poll_period", "meter poll period" },
	{ "circuit", "meter_offline_after", "meter faulty readings before offline" },
	{ "circuit", "meter_chargers_included", "meter also measures its chargers" },
	{ "circuit", "ct_rating", "clamp rating" },
	{ "web", "enabled", "web UI on" },
	{ "web", "listen", "web UI address" },
	{ "web", "port", "web UI port" },
	{ "web", "cert", "certificate file" },
	{ "web", "key", "private key file" },
	{ "web", "idle_timeout", "login idle timeout" },
	{ "web", "hostnames", "host names" },
	{ "meter", "enabled", "meter fitted" },
	{ "meter", "driver", "meter type" },
	{ "meter", "transport", "connection" },
	{ "meter", "host", "meter address" },
	{ "meter", "port", "meter port" },
	{ "meter", "device", "serial device" },
	{ "meter", "baud", "baud rate" },
	{ "meter", "parity", "parity" },
	{ "meter", "unit_id", "meter unit id" },
	{ "meter", "poll_period", "meter poll period" },
	{ "meter", "offline_after", "faulty readings before offline" },
	{ "meter", "chargers_included", "clamps also measure the chargers" },
	{ "clamp", "enabled", "clamp fitted" },
	{ "clamp", "ct_rating", "clamp rating" },
	{ "clamp", "register", "current register" },
	{ "clamp", "type", "register type" },
	{ "clamp", "word_swap", "low word first" },
	{ "clamp", "scale", "scale" },
	{ "mqtt", "enabled", "MQTT on" },
	{ "mqtt", "host", "broker address" },
	{ "mqtt", "port", "broker port" },
	{ "mqtt", "tls", "TLS" },
	{ "mqtt", "ca_file", "CA certificate file" },
	{ "mqtt", "cert_file", "client certificate file" },
	{ "mqtt", "key_file", "client key file" },
	{ "mqtt", "username", "broker user name" },
	{ "mqtt", "password", "broker password" },
	{ "mqtt", "client_id", "client id" },
	{ "mqtt", "base_topic", "base topic" },
	{ "mqtt", "qos", "quality of service" },
	{ "mqtt", "retain", "retained state" },
	{ "mqtt", "discovery", "Home Assistant discovery" },
	{ "mqtt", "discovery_prefix", "discovery prefix" },
	{ "mqtt", "commands", "commands from MQTT" },
	{ "alarms", "webhook_url", "webhook address" },
	{ "alarms", "webhook_token", "webhook token" },
	{ "alarms", "webhook_cleared", "webhook also when cleared" },
	{ "smart", "enabled", "smart charging on" },
	{ "smart", "days", "days" },
	{ "smart", "no_charge1", "no-charge period 1" },
	{ "smart", "no_charge2", "no-charge period 2" },
	{ "smart", "random_delay", "longest random delay" },
	{ "charger", "name", "name" },
	{ "charger", "host", "address" },
	{ "charger", "port", "Modbus TCP port" },
	{ "charger", "unit_id", "Modbus unit id" },
	{ "charger", "connectors", "connectors" },
	{ "charger", "phase1", "connector 1: wiring" },
	{ "charger", "phase2", "connector 2: wiring" },
	{ "charger", "max_current1", "connector 1: maximum current" },
	{ "charger", "max_current2", "connector 2: maximum current" },
	{ "charger", "min_current1", "connector 1: minimum current" },
	{ "charger", "min_current2", "connector 2: minimum current" },
	{ "charger", "priority1", "connector 1: priority" },
	{ "charger", "priority2", "connector 2: priority" },
	{ "charger", "circuit", "circuit" },
	{ "charger", "ocpp", "OCPP charge point" },
	{ "charger", "ocpp_identity", "OCPP identity" },
	{ "charger", "ocpp_password", "OCPP password" },
};

/* The words for a key of the table's section ("charger", not
 * "charger3"); NULL for one that has none. */
const char *
master_config_label(const char *section, const char *key)
{
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(labels[i].section, section) == 0 &&
		    strcmp(labels[i].key, key) == 0)
			return labels[i].words;
	return NULL;
}

/*
 * One "section.key" at text (a section of the table, indexed ones with
 * their number): its length, with the words and the prefix of its
 * section (a charger's name, a clamp's phase) filled in; 0 if text does
 * not start with one.
 */
static size_t
setting_at(const struct master_config *mc, const char *text, char *prefix,
    size_t plen, const char **words)
{
	char	 sec[16], key[32];
	size_t	 sl = strspn(text, "abcdefghijklmnopqrstuvwxyz"), dl, kl;
	long	 n = 0;

	dl = strspn(text + sl, "0123456789");
	if (sl == 0 || sl >= sizeof(sec) || text[sl + dl] != '.')
		return 0;
	kl = strspn(text + sl + dl + 1, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (kl == 0 || kl >= sizeof(key) || dl > 3)
		return 0;
	memcpy(sec, text, sl);
	sec[sl] = '\0';
	memcpy(key, text + sl + dl + 1, kl);
	key[kl] = '\0';
	for (size_t i = 0; i < dl; i++)
		n = n * 10 + (text[sl + i] - '0');
	if ((*words = master_config_label(sec, key)) == NULL ||
	    (dl > 0) != (strcmp(sec, "charger") == 0 ||
	    strcmp(sec, "clamp") == 0 || strcmp(sec, "circuit") == 0) ||
	    (dl > 0 && n < 1))
		return 0;
	prefix[0] = '\0';
	if (strcmp(sec, "clamp") == 0)
		snprintf(prefix, plen, "clamp L%ld: ", n);
	else if (strcmp(sec, "charger") == 0 && n <= MASTER_MAX_CHARGERS &&
	    (n <= mc->ncharger || mc->charger[n - 1].host[0] != '\0') &&
	    mc->charger[n - 1].name[0] != '\0')
		snprintf(prefix, plen, "charger '%s': ",
		    mc->charger[n - 1].name);
	else if (strcmp(sec, "charger") == 0)
		snprintf(prefix, plen, "new charger: ");
	else if (strcmp(sec, "circuit") == 0 && n <= MASTER_MAX_CIRCUITS &&
	    mc->circuit[n - 1].name[0] != '\0')
		snprintf(prefix, plen, "circuit '%s': ",
		    mc->circuit[n - 1].name);
	else if (strcmp(sec, "circuit") == 0)
		snprintf(prefix, plen, "new circuit: ");
	return sl + dl + 1 + kl;
}

/*
 * text with every setting's key in the installer's words: "charger13.
 * min_current1: must be 6.0 A up to charger13.max_current1" becomes
 * "charger 'bay-013': connector 1: minimum current: must be 6.0 A up to
 * connector 1: maximum current" (a section's prefix is said once). mc
 * gives the chargers' names. Cut to fit out.
 */
void
master_config_words(const struct master_config *mc, const char *text,
    char *out, size_t len)
{
	char	 prefix[MASTER_NAME_LEN + 32], said[sizeof(prefix)] = "";
	size_t	 o = 0;

	if (len == 0)
		return;
	for (const char *t = text; *t != '\0' && o + 1 < len;) {
		const char *words;
		size_t	 n = 0;
		int	 w;

		if (t == text || !(t[-1] == '_' || t[-1] == '.' ||
		    (t[-1] >= 'a' && t[-1] <= 'z') || (t[-1] >= '0' &&
		    t[-1] <= '9')))
			n = setting_at(mc, t, prefix, sizeof(prefix), &words);
		if (n == 0) {
			out[o++] = *t++;
			continue;
		}
		w = snprintf(out + o, len - o, "%s%s",
		    strcmp(prefix, said) == 0 ? "" : prefix, words);
		if (prefix[0] != '\0')
			memcpy(said, prefix, sizeof(said));
		if (w < 0 || (size_t)w >= len - o) {
			o = len - 1;
			break;
		}
		o += (size_t)w;
		t += n;
	}
	out[o] = '\0';
}

void
master_config_defaults(struct master_config *mc)
{
	memset(mc, 0, sizeof(*mc));
	cfg_defaults(master_config_keys, mc);
}

static void
deci(char *buf, size_t len, int32_t v)
{
	snprintf(buf, len, "%d.%d A", v / 10, v % 10);
}

/*
 * What the connectors take per phase when every charger has lost the
 * master and applies the fallback current by itself (each connector at
 * most its rating), and how many connectors that is per phase: a
 * connector counts on every site phase its wiring reaches, since a
 * single-phase car may draw on any of its charger's lines.
 */
static bool circuit_within(const struct master_config *, int in, int id);

/* What the connectors below circuit `in` (0: the supply, every charger)
 * take on their fallback current, per site phase, and how many. */
static void
fallback_load(const struct master_config *mc, int in,
    int32_t fall[EVG_PHASES], int nfall[EVG_PHASES])
{
	for (int p = 0; p < EVG_PHASES; p++)
		fall[p] = nfall[p] = 0;
	for (int i = 0; i < mc->ncharger; i++) {
		const struct charger_conf *c = &mc->charger[i];

		if (in > 0 && !circuit_within(mc, c->circuit_id, in))
			continue;
		for (int k = 0; k < c->connectors; k++) {
			int32_t	 f = mc->site.fallback_current <
			    c->conn[k].max_current ? mc->site.fallback_current :
			    c->conn[k].max_current;
			enum phase_conn pc = (enum phase_conn)c->conn[k].phase;

			for (int l = 0; l < phase_conn_lines(pc); l++) {
				int p = phase_conn_site_phase(pc, l);

				if (p < 0)
					continue;
				fall[p] += f;
				nfall[p]++;
			}
		}
	}
}

/* Is circuit id (alloc.h ids: 0 the supply) circuit at or above the
 * circuit `in`? */
static bool
circuit_within(const struct master_config *mc, int in, int id)
{
	for (int hops = 0; hops <= MASTER_MAX_CIRCUITS; hops++) {
		if (in == id)
			return true;
		if (in <= 0 || in > mc->ncircuit)
			return false;
		in = mc->circuit[in - 1].parent_id;
	}
	return false;
}

/*
 * The fallback arithmetic for each circuit: the chargers below a board
 * fall back together when the appliance stops, and nothing shares its
 * fuse then: what they take, phase by phase, must fit its limit (with a
 * meter of its own, its offline limit, which is sized for its load at
 * its worst; without one, its limit is for the chargers).
 */
static int
circuits_fallback_check(const struct master_config *mc, char *err,
    size_t errlen)
{
	for (int k = 0; k < mc->ncircuit; k++) {
		const struct circuit_conf *cc = &mc->circuit[k];
		int32_t	 fall[EVG_PHASES], lim = cc->meter.enabled &&
		    cc->offline_limit < cc->limit ? cc->offline_limit :
		    cc->limit;
		int	 nfall[EVG_PHASES];
		char	 a[24], b[24], most[48];

		fallback_load(mc, k + 1, fall, nfall);
		for (int p = 0; p < EVG_PHASES; p++) {
			int32_t	 each;

			if (fall[p] <= lim)
				continue;
			deci(a, sizeof(a), mc->site.fallback_current);
			deci(b, sizeof(b), lim);
			each = lim / nfall[p];
			if (each >= 60)
				snprintf(most, sizeof(most), "at most %d.%d A "
				    "each", each / 10, each % 10);
			else
				snprintf(most, sizeof(most), "only 0 A (pause) "
				    "is safe here");
			snprintf(err, errlen, "site.fallback_current: %s on "
			    "each of the %d connectors on L%d of circuit '%s' "
			    "is %d.%d A when the appliance stops (chargers that "
			    "lose it fall back together), above its %s %s: %s",
			    a, nfall[p], p + 1, cc->name, fall[p] / 10,
			    fall[p] % 10, cc->meter.enabled &&
			    cc->offline_limit < cc->limit ? "offline limit" :
			    "limit", b, most);
			return -1;
		}
	}
	return 0;
}

/*
 * No limit may exceed what it sits under (ARCHITECTURE.md invariant 1):
 * the group limit and the meter-offline limit the main fuse; what the
 * chargers draw when all of them lose the master at once (each
 * connector on its fallback current) the group limit, phase by phase,
 * and with a meter the meter-offline limit too. The error names both
 * fields.
 */
static int
limits_check(const struct master_config *mc, char *err, size_t errlen)
{
	char	 a[24], b[24], fuse[24], most[48];
	int32_t	 fall[EVG_PHASES], each;
	int	 nfall[EVG_PHASES];

	deci(b, sizeof(b), mc->site.site_limit);
	if (mc->site.group_limit > mc->site.site_limit) {
		deci(a, sizeof(a), mc->site.group_limit);
		snprintf(err, errlen, "site.group_limit: %s is above "
		    "site.site_limit %s: lower the group limit or correct the "
		    "fuse", a, b);
		return -1;
	}
	if (mc->site.offline_limit > mc->site.site_limit) {
		deci(a, sizeof(a), mc->site.offline_limit);
		snprintf(err, errlen, "site.meter_offline_limit: %s is above "
		    "site.site_limit %s", a, b);
		return -1;
	}
	if (mc->site.margin >= mc->site.site_limit) {
		deci(a, sizeof(a), mc->site.margin);
		snprintf(err, errlen, "site.margin: %s leaves nothing of "
		    "site.site_limit %s", a, b);
		return -1;
	}
	/* The building in force may lag the truth by up to the deadband
	 * (cycle.c): the margin must cover it. */
	if (mc->site.deadband > mc->site.margin) {
		deci(a, sizeof(a), mc->site.deadband);
		deci(b, sizeof(b), mc->site.margin);
		snprintf(err, errlen, "site.deadband: %s is more than site.margin "
		    "%s: the margin must cover what the deadband may hide "
		    "(raise the margin or lower the deadband)", a, b);
		return -1;
	}
	fallback_load(mc, 0, fall, nfall);
	/* Chargers that lose the master fall back together, and then no
	 * meter is read: with a meter, what they take must be safe with the
	 * building at its worst, which is what the meter-offline limit says. */
	for (int p = 0; p < EVG_PHASES; p++) {
		bool	 metered = mc->meter.enabled && mc->site.mode != 0 &&
		    mc->site.offline_limit < mc->site.group_limit;
		int32_t	 lim = metered ? mc->site.offline_limit :
		    mc->site.group_limit;

		if (fall[p] <= lim)
			continue;
		deci(a, sizeof(a), mc->site.fallback_current);
		deci(b, sizeof(b), lim);
		deci(fuse, sizeof(fuse), mc->site.site_limit);
		each = lim / nfall[p];
		if (each >= 60)
			snprintf(most, sizeof(most), "at most %d.%d A each",
			    each / 10, each % 10);
		else
			snprintf(most, sizeof(most), "only 0 A (pause) is safe "
			    "here");
		snprintf(err, errlen, "site.fallback_current: %s on each of "
		    "the %d connectors on L%d is %d.%d A when the appliance "
		    "stops (chargers that lose it fall back together), above "
		    "%s %s on a %s fuse: %s", a, nfall[p], p + 1, fall[p] / 10,
		    fall[p] % 10, metered ? "site.meter_offline_limit" :
		    "site.group_limit", b, fuse, most);
		return -1;
	}
	return circuits_fallback_check(mc, err, errlen);
}

/* A circuit's name: letters, digits . _ -, not the supply's. */
static bool
circuit_name_ok(const char *s)
{
	if (s[0] == '\0' || strcmp(s, "supply") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-'))
			return false;
	return true;
}

static bool
is_supply(const char *name)
{
	return name[0] == '\0' || strcmp(name, "supply") == 0;
}

/* The id of the circuit named name among the first n (0: the supply),
 * or -1 for none. */
static int
circuit_find(const struct master_config *mc, int n, const char *name)
{
	if (is_supply(name))
		return 0;
	for (int k = 0; k < n; k++)
		if (strcmp(mc->circuit[k].name, name) == 0)
			return k + 1;
	return -1;
}

/* Slot i free again, with every key's default: a circuit added there
 * later (the API sets only the keys it is given) starts from them. */
static void
circuit_defaults(struct master_config *mc, int i)
{
	char	 sec[24], err[CFG_ERRLEN];

	memset(&mc->circuit[i], 0, sizeof(mc->circuit[i]));
	snprintf(sec, sizeof(sec), "circuit%d", i + 1);
	for (const struct cfg_key *k = master_config_keys; k->name; k++)
		if (strcmp(k->section, "circuit") == 0)
			(void)cfg_set(master_config_keys, mc, sec, k->name,
			    k->def, err, sizeof(err));
}

/* A circuit's meter: the sense kit's clamps all have the one rating
 * (ct_rating), on every phase. */
static void
circuit_meter(struct circuit_conf *c)
{
	c->meter.enabled = c->meter.driver != METER_NONE_IDX;
	for (int p = 0; p < 3; p++) {
		c->meter.clamp[p].enabled = true;
		c->meter.clamp[p].ct_rating = c->meter.clamp[0].ct_rating;
		c->meter.clamp[p].scale_milli = 1000;
	}
}

/*
 * Some circuits could not be placed: each hangs under another of them,
 * so following parents from any of them ends in a loop. Names the loop
 * ("row-a -> row-b -> row-a") at the section of its first circuit.
 */
static int
circuit_cycle(const struct master_config *mc, int n, const bool *placed,
    const int *sec, char *err, size_t errlen)
{
	char	 loop[200];
	size_t	 o;
	int	 k = 0, c, m;

	while (placed[k])
		k++;
	/* n steps up from any of them is surely on the loop */
	for (int i = 0; i < n; i++)
		k = circuit_find(mc, n, mc->circuit[k].parent) - 1;
	/* said from the loop's first circuit in the file */
	c = m = k;
	do {
		c = circuit_find(mc, n, mc->circuit[c].parent) - 1;
		if (c < m)
			m = c;
	} while (c != k);
	k = m;
	o = (size_t)snprintf(loop, sizeof(loop), "%s", mc->circuit[k].name);
	c = k;
	do {
		c = circuit_find(mc, n, mc->circuit[c].parent) - 1;
		if (o < sizeof(loop))
			o += (size_t)snprintf(loop + o, sizeof(loop) - o,
			    " -> %s", mc->circuit[c].name);
	} while (c != k);
	snprintf(err, errlen, "circuit%d.parent: '%s' is under itself (%s): "
	    "one circuit of the loop must hang under the supply or another "
	    "circuit", sec[k], mc->circuit[k].name, loop);
	return -1;
}

/*
 * Packs the circuits (a section with a name or a limit) into
 * circuit[0..ncircuit-1], each checked; then sorts them so that a parent
 * comes before its children (stable: in file order where the tree
 * allows), which also finds a cycle; then a child's limit against its
 * parent's (the supply's: site.site_limit). ids and parent_ids follow
 * the sorted order. Errors name the file's section (circuitN).
 */
static int
circuits_finish(struct master_config *mc, char *err, size_t errlen)
{
	struct circuit_conf sorted[MASTER_MAX_CIRCUITS];
	int	 sec[MASTER_MAX_CIRCUITS], ssec[MASTER_MAX_CIRCUITS];
	bool	 placed[MASTER_MAX_CIRCUITS] = { false };
	int	 n = 0, ns = 0;
	char	 a[24], b[24];

	for (int i = 0; i < MASTER_MAX_CIRCUITS; i++) {
		struct circuit_conf *c = &mc->circuit[i];

		if (c->name[0] == '\0' && c->limit == 0)
			continue;
		if (c->name[0] == '\0') {
			snprintf(err, errlen, "circuit%d.name: must be set: "
			    "chargers name their circuit by it", i + 1);
			return -1;
		}
		if (!circuit_name_ok(c->name)) {
			snprintf(err, errlen, "circuit%d.name: '%s': letters, "
			    "digits . _ - only, and not 'supply'", i + 1,
			    c->name);
			return -1;
		}
		if (c->limit < 10) {
			snprintf(err, errlen, "circuit%d.limit: must be set: its "
			    "fuse or cable rating per phase, 1.0 A or more",
			    i + 1);
			return -1;
		}
		if (c->margin >= c->limit) {
			deci(a, sizeof(a), c->margin);
			deci(b, sizeof(b), c->limit);
			snprintf(err, errlen, "circuit%d.margin: %s leaves "
			    "nothing of circuit%d.limit %s", i + 1, a, i + 1, b);
			return -1;
		}
		if (c->offline_limit > c->limit) {
			deci(a, sizeof(a), c->offline_limit);
			deci(b, sizeof(b), c->limit);
			snprintf(err, errlen, "circuit%d.offline_limit: %s is "
			    "above circuit%d.limit %s", i + 1, a, i + 1, b);
			return -1;
		}
		circuit_meter(c);
		if (c->meter.enabled && c->meter.transport == 0 &&
		    c->meter.host[0] == '\0') {
			snprintf(err, errlen, "circuit%d.meter_host: must be set "
			    "for tcp", i + 1);
			return -1;
		}
		for (int j = 0; j < n; j++)
			if (strcmp(mc->circuit[j].name, c->name) == 0) {
				snprintf(err, errlen, "circuit%d.name: '%s' is "
				    "used twice (also circuit%d)", i + 1, c->name,
				    sec[j]);
				return -1;
			}
		sec[n] = i + 1;
		if (n != i)
			mc->circuit[n] = *c;
		n++;
	}
	for (int i = n; i < MASTER_MAX_CIRCUITS; i++)
		circuit_defaults(mc, i);
	for (int k = 0; k < n; k++)
		if (circuit_find(mc, n, mc->circuit[k].parent) < 0) {
			snprintf(err, errlen, "circuit%d.parent: no circuit "
			    "'%s' (supply, or another circuit's name)", sec[k],
			    mc->circuit[k].parent);
			return -1;
		}
	/* Kahn's order, file order kept among the ready: a pass that places
	 * none leaves only circuits under themselves, directly or not. */
	while (ns < n) {
		int	 before = ns;

		for (int k = 0; k < n; k++) {
			const char *p = mc->circuit[k].parent;
			bool	 ready = is_supply(p);

			for (int j = 0; !ready && j < ns; j++)
				ready = strcmp(sorted[j].name, p) == 0;
			if (placed[k] || !ready)
				continue;
			placed[k] = true;
			ssec[ns] = sec[k];
			sorted[ns++] = mc->circuit[k];
		}
		if (ns == before)
			return circuit_cycle(mc, n, placed, sec, err, errlen);
	}
	for (int k = 0; k < n; k++) {
		struct circuit_conf *c = &sorted[k];

		c->id = k + 1;
		c->parent_id = 0;
		for (int j = 0; j < k; j++)
			if (strcmp(sorted[j].name, c->parent) == 0)
				c->parent_id = j + 1;
	}
	for (int k = 0; k < n; k++) {
		const struct circuit_conf *c = &sorted[k];
		int32_t	 pl = c->parent_id ? sorted[c->parent_id - 1].limit :
		    mc->site.site_limit;

		if (c->limit <= pl)
			continue;
		deci(a, sizeof(a), c->limit);
		deci(b, sizeof(b), pl);
		if (c->parent_id)
			snprintf(err, errlen, "circuit%d.limit: %s is above "
			    "circuit%d.limit %s, the circuit it hangs under: a "
			    "circuit takes no more than its parent's fuse",
			    ssec[k], a, ssec[c->parent_id - 1], b);
		else
			snprintf(err, errlen, "circuit%d.limit: %s is above "
			    "site.site_limit %s: a circuit takes no more than "
			    "the main fuse", ssec[k], a, b);
		return -1;
	}
	memcpy(mc->circuit, sorted, (size_t)n * sizeof(sorted[0]));
	mc->ncircuit = n;
	return 0;
}

/*
 * Cross-field checks, then packs the chargers that have a host into
 * charger[0..ncharger-1] (sections may be numbered with gaps).
 */
/* What the API shows for a secret that is set, typed back as its value:
 * -1 with the field's error. */
static int
typed_back(const char *value, const char *field, char *err, size_t errlen)
{
	if (strcmp(value, "(set)") != 0)
		return 0;
	snprintf(err, errlen, "%s: '(set)' is what is shown for a password "
	    "that is set; type the password itself", field);
	return -1;
}

/* [mqtt]: what the broker and Home Assistant would refuse, or read
 * otherwise: a topic's wildcards, a client certificate without its key. */
static int
mqtt_check(const struct master_config *mc, char *err, size_t errlen)
{
	if (strpbrk(mc->mqtt.base_topic, "+#") != NULL ||
	    mc->mqtt.base_topic[0] == '/') {
		snprintf(err, errlen, "mqtt.base_topic: '%s': no + or #, and "
		    "not starting with /", mc->mqtt.base_topic);
		return -1;
	}
	if (strpbrk(mc->mqtt.discovery_prefix, "+#/") != NULL ||
	    mc->mqtt.discovery_prefix[0] == '\0') {
		snprintf(err, errlen, "mqtt.discovery_prefix: '%s': one topic "
		    "level, no + or #", mc->mqtt.discovery_prefix);
		return -1;
	}
	if ((mc->mqtt.cert_file[0] == '\0') != (mc->mqtt.key_file[0] == '\0')) {
		snprintf(err, errlen, "mqtt.cert_file and mqtt.key_file: set "
		    "both for a client certificate, or neither");
		return -1;
	}
	if (typed_back(mc->mqtt.password, "mqtt.password", err, errlen) != 0)
		return -1;
	if (mc->mqtt.enabled && mc->mqtt.host[0] == '\0') {
		snprintf(err, errlen, "mqtt.host: must be set");
		return -1;
	}
	return 0;
}

/*
 * ocpp.url: ws:// or wss://, a host (a port after it), no user or
 * password (they go in the basic-auth header: ocpp.password), nothing
 * a path segment cannot follow (each charger's identity is appended as
 * one: OCPP-J 1.6 section 3.1.1), no spaces or control characters.
 * Empty is no address. 0, or -1 with why.
 */
static int
ocpp_url_check(const char *url, char *why, size_t len)
{
	static const char *const schemes[] = { "ws://", "wss://", NULL };
	const char *host = NULL, *p, *port;
	size_t	 hl;

	for (int i = 0; schemes[i] != NULL && host == NULL; i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
			host = url + strlen(schemes[i]);
	if (host == NULL) {
		snprintf(why, len, "'%s': must start with ws:// or wss://", url);
		return -1;
	}
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			snprintf(why, len, "no spaces or control characters "
			    "(encode them as %%20 and the like)");
			return -1;
		}
	hl = strcspn(host, "/?#");
	if (memchr(host, '@', hl) != NULL) {
		snprintf(why, len, "no user or password in the address: give "
		    "the password as ocpp.password");
		return -1;
	}
	if (hl == 0 || host[0] == ':') {
		snprintf(why, len, "'%s': no host after the scheme", url);
		return -1;
	}
	if (strpbrk(host, "?#") != NULL) {
		snprintf(why, len, "'%s': no ? or #: each charger's identity is "
		    "added to the path", url);
		return -1;
	}
	/* the certificate's name is checked against the host: a name or
	 * an IPv4 address (the transport cannot check an IPv6 one) */
	if (host[0] == '[' && url[2] == 's') {
		snprintf(why, len, "'%s': wss:// needs a host name or an IPv4 "
		    "address", url);
		return -1;
	}
	port = host[0] == '[' ? memchr(host, ']', hl) : host;
	port = port != NULL ? memchr(port, ':', hl - (size_t)(port - host)) :
	    NULL;
	if (port != NULL) {
		char	 num[8];
		long	 v;

		snprintf(num, sizeof(num), "%.*s", (int)(host + hl - port - 1),
		    port + 1);
		if (host + hl - port - 1 >= (long)sizeof(num) ||
		    strnum_long(num, 1, 65535, &v) != 0) {
			snprintf(why, len, "'%s': the port must be 1-65535",
			    url);
			return -1;
		}
	}
	return 0;
}

/* The charge point identity of a charger at the CSMS. */
const char *
master_config_ocpp_identity(const struct charger_conf *c)
{
	return c->ocpp_identity[0] != '\0' ? c->ocpp_identity : c->name;
}

/* The basic-auth password a charger gives the CSMS ("" none). */
const char *
master_config_ocpp_password(const struct master_config *mc,
    const struct charger_conf *c)
{
	return c->ocpp_password[0] != '\0' ? c->ocpp_password :
	    mc->ocpp.password;
}

const char *
master_config_auth_name(int authorisation)
{
	if (authorisation < 0 || authorisation > SITE_AUTH_RFID_CSMS)
		return "";
	return auth_names[authorisation];
}

/* [ocpp] and site.authorisation's CSMS modes, before the chargers. */
static int
ocpp_check(const struct master_config *mc, char *err, size_t errlen)
{
	char	 why[320];

	if (mc->site.authorisation >= SITE_AUTH_CSMS && !mc->ocpp.enabled) {
		snprintf(err, errlen, "site.authorisation: %s asks the CSMS "
		    "about tags, and OCPP is off: turn it on (ocpp.enabled, "
		    "ocpp.url) or choose free or rfid",
		    auth_names[mc->site.authorisation]);
		return -1;
	}
	if (typed_back(mc->ocpp.password, "ocpp.password", err, errlen) != 0)
		return -1;
	if (mc->ocpp.url[0] != '\0' &&
	    ocpp_url_check(mc->ocpp.url, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "ocpp.url: %s", why);
		return -1;
	}
	if (!mc->ocpp.enabled)
		return 0;
	if (mc->ocpp.url[0] == '\0') {
		snprintf(err, errlen, "ocpp.url: must be set: the CSMS's ws:// "
		    "or wss:// address");
		return -1;
	}
	/* OCPP 1.6 security whitepaper, profile 2: TLS with basic auth */
	if (mc->ocpp.security_profile == 2 &&
	    strncmp(mc->ocpp.url, "wss://", 6) != 0) {
		snprintf(err, errlen, "ocpp.url: security profile 2 is TLS: the "
		    "address must start with wss://");
		return -1;
	}
	if (mc->ocpp.vendor[0] == '\0' || mc->ocpp.model[0] == '\0') {
		snprintf(err, errlen, "ocpp.%s: must be set: the CSMS requires "
		    "it in the BootNotification", mc->ocpp.vendor[0] == '\0' ?
		    "vendor" : "model");
		return -1;
	}
	return 0;
}

/* A charger's OCPP keys (file section sec), against the chargers packed
 * before it: its identity unique, a password where the profile needs
 * one. */
static int
ocpp_charger_check(const struct master_config *mc, const struct charger_conf
    *c, int sec, int n, char *err, size_t errlen)
{
	const char *id = master_config_ocpp_identity(c);
	char	 field[48];

	snprintf(field, sizeof(field), "charger%d.ocpp_password", sec);
	if (typed_back(c->ocpp_password, field, err, errlen) != 0)
		return -1;
	for (int j = 0; j < n; j++)
		if (strcmp(master_config_ocpp_identity(&mc->charger[j]), id) ==
		    0) {
			snprintf(err, errlen, "charger%d.ocpp_identity: '%s' is "
			    "also charger '%s''s: the CSMS tells charge points "
			    "apart by it", sec, id, mc->charger[j].name);
			return -1;
		}
	if (mc->ocpp.enabled && c->ocpp && mc->ocpp.security_profile > 0 &&
	    master_config_ocpp_password(mc, c)[0] == '\0') {
		snprintf(err, errlen, "ocpp.password: security profile %d needs "
		    "a password (basic auth): set ocpp.password, or "
		    "charger%d.ocpp_password", mc->ocpp.security_profile, sec);
		return -1;
	}
	return 0;
}

/*
 * Two chargers whose names make the same MQTT name ("bay-001" and
 * "Bay 001" are both bay_001): one state topic, one Home Assistant
 * device, and a command for one would reach the other. Checked while
 * MQTT is on, so that a site without it keeps starting after an
 * upgrade.
 */
/* While MQTT is on, a charger whose name has no letter or digit for its
 * MQTT name ('日本', '###'): its topics would have none (charger//1),
 * and no command could reach it. */
static bool
slug_empty(const struct master_config *mc, const struct charger_conf *c,
    int sec, char *err, size_t errlen)
{
	char	 a[64];

	if (!mc->mqtt.enabled)
		return false;
	mqtt_slug(c->name, a, sizeof(a));
	if (strspn(a, "_") != strlen(a))
		return false;
	snprintf(err, errlen, "charger%d.name: '%s' has no letter or digit "
	    "(a-z, 0-9) for its name on MQTT: add one (e.g. '%s 1')", sec,
	    c->name, c->name);
	return true;
}

static bool
slug_taken(const struct master_config *mc, const struct charger_conf *c,
    const struct charger_conf *other, int sec, char *err, size_t errlen)
{
	char	 a[64], b[64];

	if (!mc->mqtt.enabled)
		return false;
	mqtt_slug(c->name, a, sizeof(a));
	mqtt_slug(other->name, b, sizeof(b));
	if (strcmp(a, b) != 0)
		return false;
	snprintf(err, errlen, "charger%d.name: '%s' is %s on MQTT, as "
	    "charger '%s' is: Home Assistant would take them for one; "
	    "rename one", sec, c->name, a, other->name);
	return true;
}

int
master_config_finish(struct master_config *mc, char *err, size_t errlen)
{
	int	 n = 0;
	char	 why[120];

	if (mc->site.fallback_current != 0 && mc->site.fallback_current < 60) {
		snprintf(err, errlen, "site.fallback_current: must be 0 or "
		    "6.0-80.0 A");
		return -1;
	}
	if (mc->site.mode != 0 && !mc->meter.enabled) {
		snprintf(err, errlen, "site.mode: %s needs a meter "
		    "(meter.enabled = yes)", mode_names[mc->site.mode]);
		return -1;
	}
	mc->smart.enabled = mc->smart_text.enabled;
	mc->smart.max_delay_s = (uint32_t)mc->smart_text.random_delay;
	if (smart_parse_days(mc->smart_text.days, &mc->smart.days) != 0) {
		snprintf(err, errlen, "smart.days: '%s': expected mon-fri, all, "
		    "or days like mon,wed,sat", mc->smart_text.days);
		return -1;
	}
	for (int k = 0; k < 2; k++)
		if (smart_parse_period(mc->smart_text.no_charge[k],
		    &mc->smart.period[k]) != 0) {
			snprintf(err, errlen, "smart.no_charge%d: '%s': expected "
			    "HH:MM-HH:MM or off", k + 1,
			    mc->smart_text.no_charge[k]);
			return -1;
		}
	if (mc->web.enabled && inet_pton(AF_INET, mc->web.listen, &(struct
	    in_addr){ 0 }) != 1) {
		snprintf(err, errlen, "web.listen: '%s' is not an IPv4 address",
		    mc->web.listen);
		return -1;
	}
	if (hook_url_check(mc->alarms.webhook_url, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "alarms.webhook_url: %s", why);
		return -1;
	}
	if (hook_token_check(mc->alarms.webhook_token, why, sizeof(why)) !=
	    0) {
		snprintf(err, errlen, "alarms.webhook_token: %s", why);
		return -1;
	}
	if (mqtt_check(mc, err, errlen) != 0)
		return -1;
	if ((mc->web.cert[0] == '\0') != (mc->web.key[0] == '\0')) {
		snprintf(err, errlen, "web.cert and web.key: set both for "
		    "HTTPS, or neither");
		return -1;
	}
	if (mc->meter.enabled && mc->meter.transport == 0 &&
	    mc->meter.host[0] == '\0') {
		snprintf(err, errlen, "meter.host: must be set for tcp");
		return -1;
	}
	if (mc->demand.window != 15 && mc->demand.window != 30 &&
	    mc->demand.window != 60) {
		snprintf(err, errlen, "demand.window: must be 15, 30 or 60 min");
		return -1;
	}
	if (mc->bms.enabled && inet_pton(AF_INET, mc->bms.listen, &(struct
	    in_addr){ 0 }) != 1) {
		snprintf(err, errlen, "bms.listen: '%s' is not an IPv4 address",
		    mc->bms.listen);
		return -1;
	}
	if (bms_writers_parse(mc->bms.writers, (uint32_t[BMS_MAX_WRITERS]){ 0 },
	    (uint32_t[BMS_MAX_WRITERS]){ 0 }) < 0) {
		snprintf(err, errlen, "bms.writers: '%s': expected up to %d IPv4 "
		    "addresses or blocks (a.b.c.d/n), comma-separated",
		    mc->bms.writers, BMS_MAX_WRITERS);
		return -1;
	}
	if (circuits_finish(mc, err, errlen) != 0 ||
	    ocpp_check(mc, err, errlen) != 0)
		return -1;
	for (int i = 0; i < MASTER_MAX_CHARGERS; i++) {
		struct charger_conf *c = &mc->charger[i];
		struct in_addr a;

		if (c->host[0] == '\0') {
			if (c->name[0] != '\0') {
				snprintf(err, errlen, "charger%d.host: must be "
				    "set", i + 1);
				return -1;
			}
			continue;
		}
		if (inet_pton(AF_INET, c->host, &a) != 1) {
			snprintf(err, errlen, "charger%d.host: '%s' is not an "
			    "IPv4 address", i + 1, c->host);
			return -1;
		}
		if (c->name[0] == '\0')
			snprintf(c->name, sizeof(c->name), "charger%d", i + 1);
		if ((c->circuit_id = circuit_find(mc, mc->ncircuit,
		    c->circuit)) < 0) {
			snprintf(err, errlen, "charger%d.circuit: no circuit "
			    "'%s' (supply, or a circuit's name)", i + 1,
			    c->circuit);
			return -1;
		}
		for (int k = 0; k < c->connectors; k++)
			if (c->conn[k].min_current > c->conn[k].max_current) {
				snprintf(err, errlen, "charger%d.min_current%d: "
				    "must be 6.0 A up to charger%d.max_current%d",
				    i + 1, k + 1, i + 1, k + 1);
				return -1;
			}
		if (slug_empty(mc, c, i + 1, err, errlen))
			return -1;
		for (int j = 0; j < n; j++) {
			if (strcmp(mc->charger[j].name, c->name) == 0) {
				snprintf(err, errlen, "charger%d.name: '%s' is "
				    "used twice", i + 1, c->name);
				return -1;
			}
			if (slug_taken(mc, c, &mc->charger[j], i + 1, err,
			    errlen))
				return -1;
			if (strcmp(mc->charger[j].host, c->host) == 0 &&
			    mc->charger[j].port == c->port) {
				snprintf(err, errlen, "charger%d.host: %s:%d is "
				    "also charger '%s'", i + 1, c->host, c->port,
				    mc->charger[j].name);
				return -1;
			}
		}
		if (ocpp_charger_check(mc, c, i + 1, n, err, errlen) != 0)
			return -1;
		if (n != i)
			mc->charger[n] = *c;
		n++;
	}
	for (int i = n; i < MASTER_MAX_CHARGERS; i++)
		mc->charger[i].host[0] = '\0';
	mc->ncharger = n;
	return limits_check(mc, err, errlen);
}

static void
raise_fill(struct cfg_raise *out, int max, int n, const char *field,
    int32_t o, int32_t v)
{
	if (n >= max)
		return;
	snprintf(out[n].field, sizeof(out[n].field), "%s", field);
	deci(out[n].from, sizeof(out[n].from), o);
	deci(out[n].to, sizeof(out[n].to), v);
	out[n].consequence[0] = '\0';
}

/* A limit where 0 means none: loosened when it goes up or to none. */
static bool
loosened(int32_t o, int32_t v)
{
	return o != 0 && (v == 0 || v > o);
}

/*
 * What raises the circuits (compared by name): a circuit's limit or
 * offline limit raised, its margin lowered, its unbalanced-load limit
 * loosened, a circuit removed (its chargers then answer only to the
 * circuit above); the supply's unbalanced-load limit loosened; the
 * demand target raised or the demand limit turned off. Adds to out
 * from n; returns the new count.
 */
static int
circuit_raises(const struct master_config *old, const struct master_config
    *new, struct cfg_raise *out, int max, int n)
{
	char	 f[48];

	if (loosened(old->site.imbalance, new->site.imbalance)) {
		raise_fill(out, max, n, "site.imbalance", old->site.imbalance,
		    new->site.imbalance);
		if (n < max)
			snprintf(out[n].consequence, sizeof(out[n].consequence),
			    "the supply's phases may differ by %s",
			    new->site.imbalance ? out[n].to : "any current");
		n++;
	}
	if (old->demand.enabled && (!new->demand.enabled ||
	    new->demand.target > old->demand.target)) {
		raise_fill(out, max, n, "demand.target", old->demand.target,
		    new->demand.enabled ? new->demand.target : 0);
		if (n < max) {
			snprintf(out[n].from, sizeof(out[n].from), "%d.%d %s",
			    old->demand.target / 10, old->demand.target % 10,
			    old->demand.apparent ? "kVA" : "kW");
			if (!new->demand.enabled)
				snprintf(out[n].to, sizeof(out[n].to), "off");
			else
				snprintf(out[n].to, sizeof(out[n].to), "%d.%d %s",
				    new->demand.target / 10,
				    new->demand.target % 10,
				    new->demand.apparent ? "kVA" : "kW");
			snprintf(out[n].consequence, sizeof(out[n].consequence),
			    "the supply's average power over a window may reach "
			    "%s: a higher capacity charge if the tariff counts "
			    "it", out[n].to);
		}
		n++;
	}
	for (int i = 0; i < old->ncircuit; i++) {
		const struct circuit_conf *o = &old->circuit[i], *v = NULL;
		int	 j = circuit_find(new, new->ncircuit, o->name);

		/* renamed where it was: the same circuit */
		if (j < 0 && i < new->ncircuit && circuit_find(old,
		    old->ncircuit, new->circuit[i].name) < 0)
			j = i + 1;
		if (j > 0)
			v = &new->circuit[j - 1];
		if (v == NULL) {
			snprintf(f, sizeof(f), "circuit%d", i + 1);
			raise_fill(out, max, n, f, o->limit, 0);
			if (n < max) {
				snprintf(out[n].to, sizeof(out[n].to),
				    "removed");
				snprintf(out[n].consequence,
				    sizeof(out[n].consequence), "nothing "
				    "keeps the %s fuse of circuit '%s' any "
				    "more: only if it is gone from the site",
				    out[n].from, o->name);
			}
			n++;
			continue;
		}
		snprintf(f, sizeof(f), "circuit%d.limit", j);
		if (v->limit > o->limit) {
			raise_fill(out, max, n, f, o->limit, v->limit);
			if (n < max)
				snprintf(out[n].consequence,
				    sizeof(out[n].consequence), "the chargers "
				    "of circuit '%s' may load it up to %s per "
				    "phase: only if its fuse and cable really "
				    "are rated %s", v->name, out[n].to,
				    out[n].to);
			n++;
		}
		snprintf(f, sizeof(f), "circuit%d.margin", j);
		if (v->margin < o->margin) {
			raise_fill(out, max, n, f, o->margin, v->margin);
			if (n < max)
				snprintf(out[n].consequence,
				    sizeof(out[n].consequence), "only %s kept "
				    "free below the fuse of circuit '%s'",
				    out[n].to, v->name);
			n++;
		}
		snprintf(f, sizeof(f), "circuit%d.offline_limit", j);
		if (v->offline_limit > o->offline_limit) {
			raise_fill(out, max, n, f, o->offline_limit,
			    v->offline_limit);
			if (n < max)
				snprintf(out[n].consequence,
				    sizeof(out[n].consequence), "while its "
				    "meter is silent the chargers of circuit "
				    "'%s' may draw up to %s per phase", v->name,
				    out[n].to);
			n++;
		}
		snprintf(f, sizeof(f), "circuit%d.imbalance", j);
		if (loosened(o->imbalance, v->imbalance)) {
			raise_fill(out, max, n, f, o->imbalance, v->imbalance);
			if (n < max)
				snprintf(out[n].consequence,
				    sizeof(out[n].consequence), "the phases of "
				    "circuit '%s' may differ by %s", v->name,
				    v->imbalance ? out[n].to : "any current");
			n++;
		}
	}
	return n;
}

/*
 * The changes from old to new that let the chargers take more than
 * before: a limit raised (the fuse, the group limit, the meter-offline
 * limit, a connector's maximum, the fallback current) or the margin
 * lowered. Each with its figures and what it means on the site, for a
 * confirmation. Chargers are compared by position (a new one, past
 * old's last, raises nothing by itself: the fallback rule covers what it
 * adds). Returns how many, at most max filled in.
 */
int
master_config_raises(const struct master_config *old,
    const struct master_config *new, struct cfg_raise *out, int max)
{
	int	 n = 0;
	char	 a[24], b[24];
	struct cfg_raise *r;

#define RAISE(f, o, v)	do {						\
	r = n < max ? &out[n] : NULL;					\
	n++;								\
	if (r != NULL) {						\
		snprintf(r->field, sizeof(r->field), "%s", f);		\
		deci(r->from, sizeof(r->from), o);			\
		deci(r->to, sizeof(r->to), v);				\
	}								\
} while (0)

	if (new->site.site_limit > old->site.site_limit) {
		RAISE("site.site_limit", old->site.site_limit,
		    new->site.site_limit);
		deci(a, sizeof(a), new->site.site_limit - new->site.margin);
		deci(b, sizeof(b), new->site.site_limit);
		if (r != NULL)
			snprintf(r->consequence, sizeof(r->consequence), "the "
			    "appliance will load the supply up to %s per phase "
			    "(the fuse less the margin): only if the main fuse "
			    "really is %s", a, b);
	}
	if (new->site.margin < old->site.margin) {
		RAISE("site.margin", old->site.margin, new->site.margin);
		deci(a, sizeof(a), new->site.margin);
		deci(b, sizeof(b), new->site.site_limit);
		if (r != NULL)
			snprintf(r->consequence, sizeof(r->consequence), "only "
			    "%s per phase kept free below the %s fuse for what "
			    "the meter cannot see between readings", a, b);
	}
	if (new->site.group_limit > old->site.group_limit) {
		RAISE("site.group_limit", old->site.group_limit,
		    new->site.group_limit);
		deci(a, sizeof(a), new->site.group_limit);
		if (r != NULL)
			snprintf(r->consequence, sizeof(r->consequence), "the "
			    "chargers may draw up to %s per phase together%s",
			    a, new->site.mode == 0 ? ", whatever the building "
			    "draws (static: no meter)" : "");
	}
	if (new->site.offline_limit > old->site.offline_limit) {
		RAISE("site.meter_offline_limit", old->site.offline_limit,
		    new->site.offline_limit);
		deci(a, sizeof(a), new->site.offline_limit);
		if (r != NULL)
			snprintf(r->consequence, sizeof(r->consequence), "while "
			    "the meter is silent the chargers may draw up to %s "
			    "per phase, with the building at its worst", a);
	}
	if (new->site.fallback_current > old->site.fallback_current) {
		int32_t	 fall[EVG_PHASES];
		int	 nfall[EVG_PHASES], w = 0;

		RAISE("site.fallback_current", old->site.fallback_current,
		    new->site.fallback_current);
		fallback_load(new, 0, fall, nfall);
		for (int p = 1; p < EVG_PHASES; p++)
			if (fall[p] > fall[w])
				w = p;
		deci(a, sizeof(a), new->site.fallback_current);
		deci(b, sizeof(b), fall[w]);
		if (r != NULL)
			snprintf(r->consequence, sizeof(r->consequence), "when "
			    "the appliance stops, every connector takes up to "
			    "%s by itself: %s on L%d (%d connectors), with "
			    "nobody watching the supply", a, b, w + 1,
			    nfall[w]);
	}
	for (int i = 0; i < new->ncharger && i < old->ncharger; i++)
		for (int k = 0; k < new->charger[i].connectors; k++) {
			int32_t	 o = old->charger[i].conn[k].max_current;
			int32_t	 v = new->charger[i].conn[k].max_current;
			char	 f[48];

			if (v <= o)
				continue;
			snprintf(f, sizeof(f), "charger%d.max_current%d", i + 1,
			    k + 1);
			RAISE(f, o, v);
			deci(a, sizeof(a), v);
			if (r != NULL)
				snprintf(r->consequence, sizeof(r->consequence),
				    "%s connector %d may be offered up to %s: "
				    "only if the charger, its cable and its "
				    "circuit are rated for it",
				    new->charger[i].name, k + 1, a);
		}
	n = circuit_raises(old, new, out, max, n);
#undef RAISE
	return n;
}

/* The keys of sections name1..nameN, in order. */
static void
each_indexed(const struct master_config *mc, const char *name, int n,
    master_config_fn fn, void *arg)
{
	char	 val[300], sec[24];

	for (int i = 0; i < n; i++) {
		snprintf(sec, sizeof(sec), "%s%d", name, i + 1);
		for (const struct cfg_key *k = master_config_keys;
		    k->name != NULL; k++)
			if (strcmp(k->section, name) == 0) {
				cfg_format(k, mc, i, val, sizeof(val));
				fn(arg, sec, k->name, val);
			}
	}
}

/*
 * Every setting in file order, as section, key and value text: for
 * --check-config, --export-config and seeding the database.
 */
void
master_config_each(const struct master_config *mc, master_config_fn fn,
    void *arg)
{
	char	 val[300];
	const struct cfg_key *k;

	for (const char *const *s = (const char *const[]){ "site", "web",
	    "meter", "smart", "alarms", "demand", "mqtt", "bms", "ocpp", NULL };
	    *s != NULL; s++)
		for (k = master_config_keys; k->name != NULL; k++)
			if (strcmp(k->section, *s) == 0) {
				cfg_format(k, mc, 0, val, sizeof(val));
				fn(arg, *s, k->name, val);
			}
	each_indexed(mc, "clamp", 3, fn, arg);
	each_indexed(mc, "circuit", mc->ncircuit, fn, arg);
	each_indexed(mc, "charger", mc->ncharger, fn, arg);
}

/* A setting the API never shows back (its value, or a change of it in
 * an event): the webhook's bearer token, the MQTT broker's password, the
 * OCPP passwords (the site's, a charger's: section "charger" or
 * "chargerN"). */
bool
master_config_secret(const char *section, const char *key)
{
	return (strcmp(section, "alarms") == 0 &&
	    strcmp(key, "webhook_token") == 0) ||
	    ((strcmp(section, "mqtt") == 0 || strcmp(section, "ocpp") == 0) &&
	    strcmp(key, "password") == 0) ||
	    (strncmp(section, "charger", 7) == 0 &&
	    strcmp(key, "ocpp_password") == 0);
}

/*
 * A setting's value as the API, the events and the reports show it: a
 * secret only as "(set)", the webhook's address only up to its host
 * (hook_url_shown); any other as it is. The file and --export-config
 * keep every value (a backup restores the site).
 */
const char *
master_config_shown(const char *section, const char *key, const char *value,
    char *buf, size_t len)
{
	if (master_config_secret(section, key))
		return value[0] != '\0' ? "(set)" : "";
	if (strcmp(section, "alarms") == 0 &&
	    strcmp(key, "webhook_url") == 0) {
		hook_url_shown(value, buf, len);
		return buf;
	}
	return value;
}

struct print_state {
	char	 section[24];
	bool	 hide;
};

static void
print_one(void *arg, const char *section, const char *key, const char *value)
{
	struct print_state *ps = arg;
	char	 buf[300];

	if (strcmp(ps->section, section) != 0) {
		printf("%s[%s]\n", ps->section[0] ? "\n" : "", section);
		snprintf(ps->section, sizeof(ps->section), "%s", section);
	}
	/* a check's output is pasted into tickets and screenshots: a
	 * secret says only whether it is there, the webhook's address (a
	 * token may be in its path) its host, as the API shows them */
	if (ps->hide && master_config_secret(section, key))
		value = value[0] != '\0' ? "(set)" : "(not set)";
	else if (ps->hide)
		value = master_config_shown(section, key, value, buf,
		    sizeof(buf));
	printf("%s = %s\n", key, value);
}

/*
 * Every setting, as a configuration file. hide_secrets (--check-config):
 * each secret (master_config_secret) as "(set)" or "(not set)", the
 * others as master_config_shown shows them; else (--export-config, a
 * backup that restores the site) every value as it is.
 */
void
master_config_print(const struct master_config *mc, bool hide_secrets)
{
	struct print_state ps = { "", hide_secrets };

	master_config_each(mc, print_one, &ps);
	printf("; %d charger(s)\n", mc->ncharger);
}
