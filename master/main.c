/*
 * main.c: evgroup-master, the appliance daemon. One libuv loop polls
 * every charger of the site over Modbus TCP (link.c); later issues add
 * the meter, the allocator, the store and the API to the same loop.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uv.h>
#include <systemd/sd-daemon.h>

#include "confdoc.h"
#include "log.h"
#include "master.h"
#include "service.h"

struct app {
	uv_loop_t		*loop;
	struct master		 m;
	struct master_config	 conf;
	struct store		 store;
	uv_signal_t		 sigint, sigterm;
	struct svc		 svc;		/* systemd's notifications */
	uv_timer_t		 svc_timer;
	bool			 svc_on;	/* run by systemd */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: evgroup-master --config FILE [--set KEY=VALUE]... "
	    "[--log-level LEVEL] [--check-config]\n"
	    "  --config FILE      INI file (see config/master.ini)\n"
	    "  --set S.KEY=VALUE  override one setting, e.g. site.poll_period=500\n"
	    "  --log-level LEVEL  error, warning, info (default) or debug\n"
	    "  --check-config     validate, print the settings, and exit\n"
	    "  --backup FILE      copy the database (live) to FILE, and exit\n"
	    "  --export-config    print the configuration in force (from the\n"
	    "                     database once it exists) as INI, and exit\n"
	    "  --print-config     print a configuration file with every setting\n"
	    "                     commented out at its default (--set ones set),\n"
	    "                     and exit\n");
}

static void
stop(void *arg)
{
	struct app *app = arg;

	if (app->svc_on) {
		/* a restart (execv, the same process) says READY=1 again,
		 * and restores the watchdog's period then */
		if (!app->m.restart_requested)
			sd_notify(0, "STOPPING=1");
		else if (app->svc.watchdog_ms != 0)
			sd_notifyf(0, "RELOADING=1\nWATCHDOG_USEC=%llu",
			    SVC_RESTART_WATCHDOG_MS * 1000ULL);
		else
			sd_notify(0, "RELOADING=1");
		uv_close((uv_handle_t *)&app->svc_timer, NULL);
		app->svc_on = false;
	}
	master_stop(&app->m);
	uv_close((uv_handle_t *)&app->sigint, NULL);
	uv_close((uv_handle_t *)&app->sigterm, NULL);
}

static void
on_signal(uv_signal_t *sig, int signum)
{
	log_info("signal %d: stopping", signum);
	stop(sig->data);
}

struct cli {
	bool		 check, export, print;
	const char	*backup;
	const char	*config;
	char		*sets[CFG_MAX_SETS];
	int		 nsets;
	char		 level[64];
};

/*
 * A relative site.database is next to the configuration file, not in
 * whatever folder the command was run from: `--export-config` or
 * `--backup` from another folder (a cron job) reach the same database
 * as the service. db (len bytes) becomes absolute.
 */
static int
database_path(char *db, size_t len, const char *config, char *err,
    size_t errlen)
{
	char	 cwd[PATH_MAX], full[PATH_MAX + 512];
	const char *slash = strrchr(config, '/');
	int	 dirlen = slash != NULL ? (int)(slash - config) : 0;
	int	 n;

	if (db[0] == '\0' || db[0] == '/')
		return 0;
	if (config[0] == '/')
		n = snprintf(full, sizeof(full), "%.*s/%s", dirlen, config, db);
	else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(err, errlen, "site.database: cannot tell the current "
		    "folder: %s", strerror(errno));
		return -1;
	} else if (slash != NULL)
		n = snprintf(full, sizeof(full), "%s/%.*s/%s", cwd, dirlen,
		    config, db);
	else
		n = snprintf(full, sizeof(full), "%s/%s", cwd, db);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "site.database: the path next to the "
		    "configuration file is too long: give an absolute one");
		return -1;
	}
	memcpy(db, full, (size_t)n + 1);
	return 0;
}

static int
load_config(int argc, char **argv, struct master_config *mc, struct cli *cl)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "backup", required_argument, NULL, 'b' },
		{ "export-config", no_argument, NULL, 'x' },
		{ "print-config", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char	 err[CFG_ERRLEN + 300];
	char	**sets = cl->sets;
	const char *config = NULL;
	int	 ch, nsets = 0, rc = 0;

	master_config_defaults(mc);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 's':
			rc = cfg_add_set(sets, &nsets, optarg);
			break;
		case 'l':
			snprintf(cl->level, sizeof(cl->level),
			    "site.log_level=%s", optarg);
			rc = cfg_add_set(sets, &nsets, cl->level);
			break;
		case 'k':
			cl->check = true;
			break;
		case 'x':
			cl->export = true;
			break;
		case 'p':
			cl->print = true;
			break;
		case 'b':
			cl->backup = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("evgroup-master %s\n", EVG_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (rc != 0) {
			fprintf(stderr, "evgroup-master: at most %d settings on the "
			    "command line\n", CFG_MAX_SETS);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "evgroup-master: unexpected argument '%s'\n",
		    argv[optind]);
		return -1;
	}
	cl->nsets = nsets;
	if (cl->print && config == NULL) {
		/* the --set values are checked like any others */
		if (cfg_load(master_config_keys, mc, NULL, sets, nsets, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "evgroup-master: %s\n", err);
			return -1;
		}
		return 0;
	}
	if (config == NULL) {
		fprintf(stderr, "evgroup-master: --config FILE is required\n");
		return -1;
	}
	cl->config = config;
	rc = cfg_load(master_config_keys, mc, config, sets, nsets, err,
	    sizeof(err));
	if (rc == 0 && (master_config_finish(mc, err, sizeof(err)) != 0 ||
	    database_path(mc->site.database, sizeof(mc->site.database),
	    config, err, sizeof(err)) != 0)) {
		fprintf(stderr, "evgroup-master: %s: %s\n", config, err);
		return -1;
	}
	if (rc != 0) {
		fprintf(stderr, "evgroup-master: %s\n", err);
		return -1;
	}
	return 0;
}

/* --- the configuration in the database ---------------------------------- */

/*
 * The rows of the configuration, strings packed end to end: a counting
 * pass sizes them. (Three 300-byte fields a row were 11.7 MB for 1000
 * chargers' 13 000 rows, the master's peak memory at its first start.)
 */
struct seed {
	const char	**sec, **key, **val;
	char		*buf, *end;
	size_t		 bytes;
	int		 n, cap;
};

static const char *
seed_str(struct seed *s, const char *v)
{
	size_t	 len = strlen(v) + 1;
	char	*at = s->end;

	memcpy(at, v, len);
	s->end += len;
	return at;
}

static void
seed_one(void *arg, const char *section, const char *key, const char *value)
{
	struct seed *s = arg;
	size_t	 need = strlen(section) + strlen(key) + strlen(value) + 3;

	if (s->buf == NULL) {		/* counting pass */
		s->cap++;
		s->bytes += need;
		return;
	}
	if (s->n >= s->cap || (size_t)(s->end - s->buf) + need > s->bytes)
		return;
	s->sec[s->n] = seed_str(s, section);
	s->key[s->n] = seed_str(s, key);
	s->val[s->n] = seed_str(s, value);
	s->n++;
}

struct dbload {
	struct master_config	*mc;
	char			 err[CFG_ERRLEN + 64];
};

static int
load_row(void *arg, const char *section, const char *key, const char *value)
{
	struct dbload *d = arg;
	char	 why[CFG_ERRLEN];

	if (cfg_set(master_config_keys, d->mc, section, key, value, why,
	    sizeof(why)) != 0) {
		snprintf(d->err, sizeof(d->err), "database: %s", why);
		return -1;
	}
	return 0;
}

/*
 * The file seeds a new database; after that the database holds the
 * configuration (the web UI and the API change it there), and the file is
 * no longer read. --set still applies on top, for this run only.
 */
static int
config_from_database(struct app *app, const struct cli *cl)
{
	struct master_config *mc = &app->conf;
	struct dbload d = { .mc = mc };
	char	 err[CFG_ERRLEN + 300];
	int	 rows;
	struct seed seed = { 0 };

	rows = store_config_load(&app->store, load_row, &d);
	if (rows == 0) {
		master_config_each(mc, seed_one, &seed);
		seed.sec = calloc((size_t)seed.cap, sizeof(char *));
		seed.key = calloc((size_t)seed.cap, sizeof(char *));
		seed.val = calloc((size_t)seed.cap, sizeof(char *));
		seed.buf = seed.end = malloc(seed.bytes);
		if (seed.sec && seed.key && seed.val && seed.buf) {
			master_config_each(mc, seed_one, &seed);
			rows = store_config_seed(&app->store, seed.sec, seed.key,
			    seed.val, seed.n);
		} else
			rows = -1;
		free(seed.sec);
		free(seed.key);
		free(seed.val);
		free(seed.buf);
		if (rows != 0) {
			fprintf(stderr, "evgroup-master: database: cannot store "
			    "the configuration\n");
			return -1;
		}
		log_info("configuration seeded into %s from %s",
		    mc->site.database, cl->config);
		return 0;
	}
	/* The database's configuration, then this run's --set. */
	master_config_defaults(mc);
	rows = store_config_load(&app->store, load_row, &d);
	if (rows < 0 || cfg_load(master_config_keys, mc, NULL, cl->sets,
	    cl->nsets, err, sizeof(err)) != 0 ||
	    master_config_finish(mc, err, sizeof(err)) != 0) {
		fprintf(stderr, "evgroup-master: %s\n", rows < 0 ? d.err : err);
		return -1;
	}
	log_info("configuration from %s (%s only seeded it)",
	    mc->site.database, cl->config);
	return 0;
}

/* --- systemd -------------------------------------------------------------- */

/*
 * Four times per watchdog period (or until ready): READY=1 once a control
 * cycle has run (the web UI listens by then: master_start opened it),
 * WATCHDOG=1 while cycles keep running (service.c decides).
 */
static void
svc_cb(uv_timer_t *t)
{
	struct app *app = t->data;
	uint64_t now = uv_hrtime() / 1000000;
	int	 act;

	app->svc.poll_ms = (uint64_t)app->m.conf->site.poll_period;
	act = svc_step(&app->svc, app->m.cycle_start_us / 1000, now);

	if ((act & SVC_READY) && app->svc.watchdog_ms != 0)
		sd_notifyf(0, "READY=1\nWATCHDOG_USEC=%llu\nSTATUS=site '%s': "
		    "%d charger(s)", (unsigned long long)app->svc.watchdog_ms *
		    1000ULL, app->conf.site.name, app->conf.ncharger);
	else if (act & SVC_READY)
		sd_notifyf(0, "READY=1\nSTATUS=site '%s': %d charger(s)",
		    app->conf.site.name, app->conf.ncharger);
	if (act & SVC_WATCHDOG)
		sd_notify(0, "WATCHDOG=1");
	if (app->svc.ready && app->svc.watchdog_ms == 0)
		uv_timer_stop(t);
}

/* Only when systemd runs us (NOTIFY_SOCKET): otherwise nothing changes. */
static void
svc_start(struct app *app)
{
	uint64_t usec = 0;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	if (sd_watchdog_enabled(0, &usec) <= 0)
		usec = 0;
	svc_init(&app->svc, usec / 1000,
	    (uint64_t)app->conf.site.poll_period);
	uv_timer_init(app->loop, &app->svc_timer);
	app->svc_timer.data = app;
	uv_timer_start(&app->svc_timer, svc_cb, 0, svc_period_ms(&app->svc));
	app->svc_on = true;
	if (usec != 0)
		log_info("systemd: watchdog fed every %llu ms while the control "
		    "loop runs", (unsigned long long)svc_period_ms(&app->svc));
}

/* Up to 2000 chargers: one socket each, plus headroom. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	struct app *app;
	struct cli cl = { 0 };
	const char *backup;
	char	 note[400] = "";
	bool	 restart;

	if ((app = calloc(1, sizeof(*app))) == NULL)
		fatal("calloc");
	if (load_config(argc, argv, &app->conf, &cl) != 0) {
		free(app);
		return 2;
	}
	if (cl.print) {
		int	 rc = confdoc_print(stdout, master_config_keys, cl.sets,
		    cl.nsets);

		free(app);
		return rc == 0 ? 0 : 1;
	}
	backup = cl.backup;
	/* the configuration in force is the database's: reading it from a
	 * database made for the occasion would be the file's, silently */
	if ((backup != NULL || cl.export) &&
	    app->conf.site.database[0] != '\0' &&
	    access(app->conf.site.database, F_OK) != 0) {
		fprintf(stderr, "evgroup-master: no database at %s (site.database;"
		    " a relative path is next to the configuration file): "
		    "nothing to %s\n", app->conf.site.database, backup != NULL ?
		    "back up" : "export");
		free(app);
		return 1;
	}
	if (backup != NULL) {
		char	 err[300];
		int	 rc = app->conf.site.database[0] == '\0' ? -1 :
		    store_backup(app->conf.site.database, backup, err,
		    sizeof(err));

		if (app->conf.site.database[0] == '\0')
			snprintf(err, sizeof(err), "site.database is not set");
		if (rc != 0)
			fprintf(stderr, "evgroup-master: backup: %s\n", err);
		else
			printf("backup of %s written to %s\n",
			    app->conf.site.database, backup);
		free(app);
		return rc == 0 ? 0 : 1;
	}
	if (!cl.check && app->conf.site.database[0] != '\0') {
		char	 err[300], opened[sizeof(app->conf.site.database)];

		if (store_open(&app->store, app->conf.site.database,
		    app->conf.site.history_days, note, sizeof(note), err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "evgroup-master: database: %s\n", err);
			free(app);
			return 1;
		}
		snprintf(opened, sizeof(opened), "%s",
		    app->conf.site.database);
		if (config_from_database(app, &cl) != 0) {
			store_close(&app->store);
			free(app);
			return 2;
		}
		/* the database in use is the one opened (a path stored in it
		 * by an earlier release may be relative) */
		snprintf(app->conf.site.database,
		    sizeof(app->conf.site.database), "%s", opened);
	}
	if (cl.check || cl.export) {
		master_config_print(&app->conf, cl.check);
		if (cl.check)
			printf("configuration OK\n");
		store_close(&app->store);
		free(app);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A full disk (or a file size limit) is an error to report, not a
	 * reason to die: the chargers still need us. */
	signal(SIGXFSZ, SIG_IGN);
	raise_fd_limit();
	app->loop = uv_default_loop();
	if (master_start(&app->m, app->loop, &app->conf, &app->store,
	    note) != 0) {
		fprintf(stderr, "evgroup-master: cannot start (see above)\n");
		return 1;
	}
	uv_signal_init(app->loop, &app->sigint);
	uv_signal_init(app->loop, &app->sigterm);
	app->sigint.data = app->sigterm.data = app;
	uv_signal_start(&app->sigint, on_signal, SIGINT);
	uv_signal_start(&app->sigterm, on_signal, SIGTERM);
	app->m.on_stop = stop;
	app->m.on_stop_arg = app;
	svc_start(app);
	log_info("site '%s': %d charger(s), poll every %d ms", app->conf.site.name,
	    app->conf.ncharger, app->conf.site.poll_period);
	uv_run(app->loop, UV_RUN_DEFAULT);
	store_close(&app->store);
	restart = app->m.restart_requested;
	master_free(&app->m);
	uv_loop_close(app->loop);
	free(app);
	if (restart) {
		/* An installer applied saved settings: the same program, the
		 * same arguments; the configuration comes from the database. */
		log_info("restarting");
		execv("/proc/self/exe", argv);
		fatal("restart: execv");
	}
	return 0;
}
