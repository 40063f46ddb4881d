/*
 * main.c: evgroup-slave, the charger firmware program. One libuv loop:
 * a fixed tick steps the firmware core on the monotonic clock, and a UNIX
 * socket takes control commands for the simulated hardware.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "clock.h"
#include "linesrv.h"
#include "log.h"
#include "mbserver.h"
#include "slave.h"

struct app {
	uv_loop_t	*loop;
	uv_timer_t	 tick;
	uv_signal_t	 sigint, sigterm;
	struct slave	 slave;
	struct mbserver	 mb;
	struct linesrv	 ctl;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: evgroup-slave [--hal sim] [--config FILE] [--set KEY=VALUE]...\n"
	    "                     [--control PATH] [--check-config]\n"
	    "  --hal sim          hardware backend (only the simulated charger)\n"
	    "  --config FILE      INI file (see config/slave.ini)\n"
	    "  --set S.KEY=VALUE  override one setting, e.g. unit.tick_ms=10\n"
	    "  --control PATH     control socket (same as unit.control_socket)\n"
	    "  --check-config     validate, print the settings, and exit\n");
}

static void
print_event(const struct slave *s, const struct fw_event *e)
{
	char	 text[160];
	uint64_t t = s->last_tick_ms - s->start_ms;

	printf("%6llu.%03llu %s\n", (unsigned long long)(t / 1000),
	    (unsigned long long)(t % 1000), fw_event_text(e, text,
	    sizeof(text)));
}

static void
on_tick(uv_timer_t *t)
{
	struct app *app = t->data;
	struct slave *s = &app->slave;

	slave_tick(s, clock_now_ms());
	mbserver_tick(&app->mb, s->last_tick_ms);
	for (int i = 0; i < s->out.nev; i++)
		print_event(s, &s->out.ev[i]);
	if (s->out.ev_dropped)
		log_warnx("%d events not shown", s->out.ev_dropped);
}

static char *
on_control(void *arg, const char *line)
{
	struct app *app = arg;

	return slave_control_line(&app->slave, line, clock_now_ms());
}

static void
on_signal(uv_signal_t *sig, int signum)
{
	struct app *app = sig->data;

	log_info("signal %d: stopping", signum);
	mbserver_close(&app->mb);
	linesrv_close(&app->ctl);
	uv_close((uv_handle_t *)&app->tick, NULL);
	uv_close((uv_handle_t *)&app->sigint, NULL);
	uv_close((uv_handle_t *)&app->sigterm, NULL);
}

static int
load_config(int argc, char **argv, struct slave_config *conf, bool *check)
{
	static const struct option opts[] = {
		{ "hal", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "control", required_argument, NULL, 'C' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char	 err[CFG_ERRLEN + 128], control[SLAVE_SOCK_PATH_MAX + 32];
	char	*sets[CFG_MAX_SETS];
	const char *config = NULL;
	int	 ch, nsets = 0, rc = 0;

	slave_config_defaults(conf);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (strcmp(optarg, "sim") != 0) {
				fprintf(stderr, "evgroup-slave: --hal: '%s': "
				    "only 'sim' is built\n", optarg);
				return -1;
			}
			break;
		case 'c':
			config = optarg;
			break;
		case 's':
			rc = cfg_add_set(sets, &nsets, optarg);
			break;
		case 'C':
			snprintf(control, sizeof(control),
			    "unit.control_socket=%s", optarg);
			rc = cfg_add_set(sets, &nsets, control);
			break;
		case 'k':
			*check = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("evgroup-slave %s\n", EVG_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (rc != 0) {
			fprintf(stderr, "evgroup-slave: at most %d settings on the "
			    "command line\n", CFG_MAX_SETS);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "evgroup-slave: unexpected argument '%s'\n",
		    argv[optind]);
		return -1;
	}
	if (cfg_load(slave_config_keys, conf, config, sets, nsets, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "evgroup-slave: %s\n", err);
		return -1;
	}
	if (slave_config_check(conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "evgroup-slave: %s%s%s\n",
		    config ? config : "", config ? ": " : "", err);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct app *app;
	struct slave_config conf;
	bool	 check = false;
	int	 rc;

	if (load_config(argc, argv, &conf, &check) != 0)
		return 2;
	if (check) {
		slave_config_print(&conf);
		printf("configuration OK\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if ((app = calloc(1, sizeof(*app))) == NULL)
		fatal("calloc");
	app->loop = uv_default_loop();
	if (slave_init(&app->slave, &conf, clock_now_ms()) != 0)
		fatalx("cannot start the firmware core");

	if (conf.link.enabled) {
		char	 err[160];

		if (mbserver_start(&app->mb, app->loop, &app->slave, &conf,
		    conf.serial, err, sizeof(err)) != 0) {
			fprintf(stderr, "evgroup-slave: %s\n", err);
			free(app);
			return 1;
		}
		log_info("register map on %s:%d, unit id %d, writes from %s, "
		    "fallback %d.%d A after %d s", conf.link.listen,
		    conf.link.port, conf.link.unit_id, conf.link.masters,
		    conf.link.fallback_current / 10,
		    conf.link.fallback_current % 10, conf.link.fallback_timeout);
	}
	/* Last: a control socket that answers means everything is up. */
	if ((rc = linesrv_start(&app->ctl, app->loop, conf.control_socket,
	    on_control, app)) != 0) {
		fprintf(stderr, "evgroup-slave: control socket %s: %s\n",
		    conf.control_socket, uv_strerror(rc));
		free(app);
		return 1;
	}
	uv_timer_init(app->loop, &app->tick);
	app->tick.data = app;
	uv_timer_start(&app->tick, on_tick, 0, (uint64_t)conf.tick_ms);
	uv_signal_init(app->loop, &app->sigint);
	uv_signal_init(app->loop, &app->sigterm);
	app->sigint.data = app->sigterm.data = app;
	uv_signal_start(&app->sigint, on_signal, SIGINT);
	uv_signal_start(&app->sigterm, on_signal, SIGTERM);

	log_info("charger %s: %d connector(s), control socket %s, tick %d ms",
	    conf.serial, conf.connectors, conf.control_socket, conf.tick_ms);
	uv_run(app->loop, UV_RUN_DEFAULT);
	uv_loop_close(app->loop);
	free(app);
	return 0;
}
