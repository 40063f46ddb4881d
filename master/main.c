/*
 * main.c: evgroup-master, the appliance daemon. One libuv loop polls
 * every charger of the site over Modbus TCP (link.c); later issues add
 * the meter, the allocator, the store and the API to the same loop.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <uv.h>

#include "log.h"
#include "master.h"

struct app {
	uv_loop_t		*loop;
	struct master		 m;
	struct master_config	 conf;
	uv_signal_t		 sigint, sigterm;
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
	    "  --backup FILE      copy the database (live) to FILE, and exit\n");
}

static void
on_signal(uv_signal_t *sig, int signum)
{
	struct app *app = sig->data;

	log_info("signal %d: stopping", signum);
	master_stop(&app->m);
	uv_close((uv_handle_t *)&app->sigint, NULL);
	uv_close((uv_handle_t *)&app->sigterm, NULL);
}

static int
load_config(int argc, char **argv, struct master_config *mc, bool *check,
    const char **backup)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "backup", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char	 err[CFG_ERRLEN + 300], level[64];
	char	*sets[CFG_MAX_SETS];
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
			snprintf(level, sizeof(level), "site.log_level=%s",
			    optarg);
			rc = cfg_add_set(sets, &nsets, level);
			break;
		case 'k':
			*check = true;
			break;
		case 'b':
			*backup = optarg;
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
	if (config == NULL) {
		fprintf(stderr, "evgroup-master: --config FILE is required\n");
		return -1;
	}
	rc = cfg_load(master_config_keys, mc, config, sets, nsets, err,
	    sizeof(err));
	if (rc == 0 && master_config_finish(mc, err, sizeof(err)) != 0) {
		fprintf(stderr, "evgroup-master: %s: %s\n", config, err);
		return -1;
	}
	if (rc != 0) {
		fprintf(stderr, "evgroup-master: %s\n", err);
		return -1;
	}
	return 0;
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
	bool	 check = false;
	const char *backup = NULL;

	if ((app = calloc(1, sizeof(*app))) == NULL)
		fatal("calloc");
	if (load_config(argc, argv, &app->conf, &check, &backup) != 0) {
		free(app);
		return 2;
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
	if (check) {
		master_config_print(&app->conf);
		printf("configuration OK\n");
		free(app);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A full disk (or a file size limit) is an error to report, not a
	 * reason to die: the chargers still need us. */
	signal(SIGXFSZ, SIG_IGN);
	raise_fd_limit();
	app->loop = uv_default_loop();
	if (master_start(&app->m, app->loop, &app->conf) != 0) {
		fprintf(stderr, "evgroup-master: cannot start (see above)\n");
		return 1;
	}
	uv_signal_init(app->loop, &app->sigint);
	uv_signal_init(app->loop, &app->sigterm);
	app->sigint.data = app->sigterm.data = app;
	uv_signal_start(&app->sigint, on_signal, SIGINT);
	uv_signal_start(&app->sigterm, on_signal, SIGTERM);
	log_info("site '%s': %d charger(s), poll every %d ms", app->conf.site.name,
	    app->conf.ncharger, app->conf.site.poll_period);
	uv_run(app->loop, UV_RUN_DEFAULT);
	master_free(&app->m);
	uv_loop_close(app->loop);
	free(app);
	return 0;
}
