/*
 * ocpp_probe.c: the OCPP transport (master/ocppnet.c) alone, for its
 * process test and benchmark: N charge points connect to a CSMS, each
 * sends a BootNotification when it comes up, and every event is printed
 * as one line:
 *   up CP-01 | down CP-01: why | text CP-01: [3,"boot-1",{...}]
 *   (a text longer than 400 bytes cut: "text CP-01: [2,...... (N bytes)")
 *   stats up=N connects=N failures=N ev_dropped=N tx_dropped=N
 *
 *   ocpp_probe URL N [--prefix CP-] [--profile P] [--password PW]
 *              [--ca FILE] [--ping S] [--quiet] [--close-after-boot]
 *              [--burst K]   (K Heartbeats sent at once after the boot)
 *              [--close-after-burst] (at the first boot's answer, the
 *                  burst queued and the connection closed at once: all
 *                  must go out)
 * Runs until SIGTERM or SIGINT, then stops the transport and exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "ocppnet.h"

struct probe {
	struct ocppnet		*net;
	struct ocppnet_cp_conf	*cp;
	int			*boots;		/* BootNotifications sent */
	int			 quiet;
	int			 close_after_boot;
	int			 close_after_burst;
	int			 burst_closed;	/* close_after_burst done */
	int			 burst;		/* Heartbeats sent at once */
	uv_signal_t		 sigterm, sigint;
	uv_timer_t		 stats;
};

/* p->burst Heartbeats at once, numbered: those taken must all reach the
 * CSMS in order, the others be refused (the send queue is bounded). */
static void
burst(struct probe *p, int cp)
{
	char	 hb[64];
	int	 sent = 0, refused = 0;

	for (int k = 1; k <= p->burst; k++) {
		int n = snprintf(hb, sizeof(hb),
		    "[2,\"hb-%d-%d\",\"Heartbeat\",{}]", p->boots[cp], k);

		if (ocppnet_send(p->net, cp, hb, (size_t)n) == 0)
			sent++;
		else
			refused++;
	}
	printf("burst %s sent=%d refused=%d\n", p->cp[cp].identity, sent,
	    refused);
}

static void
on_event(void *arg, int cp, enum ocppnet_ev ev, const char *text, size_t len,
    const char *why)
{
	struct probe	*p = arg;
	char		 boot[200];
	int		 n;

	switch (ev) {
	case OCPPNET_UP:
		printf("up %s\n", p->cp[cp].identity);
		n = snprintf(boot, sizeof(boot), "[2,\"boot-%d\","
		    "\"BootNotification\",{\"chargePointVendor\":\"evgroup\","
		    "\"chargePointModel\":\"evgroup-probe\"}]", ++p->boots[cp]);
		if (ocppnet_send(p->net, cp, boot, (size_t)n) != 0)
			printf("send refused %s\n", p->cp[cp].identity);
		if (p->burst > 0 && !p->close_after_burst)
			burst(p, cp);
		break;
	case OCPPNET_DOWN:
		printf("down %s: %s\n", p->cp[cp].identity, why);
		/* refused while down: nothing is queued for later */
		if (ocppnet_send(p->net, cp, "[]", 2) != -1)
			printf("send taken while down %s\n", p->cp[cp].identity);
		break;
	case OCPPNET_TEXT:
		/* a long one cut, with its length */
		if (!p->quiet && len <= 400)
			printf("text %s: %.*s\n", p->cp[cp].identity, (int)len,
			    text);
		else if (!p->quiet)
			printf("text %s: %.300s... (%zu bytes)\n",
			    p->cp[cp].identity, text, len);
		if (p->close_after_boot && p->boots[cp] == 1)
			ocppnet_close(p->net, cp);
		if (p->close_after_burst && p->boots[cp] == 1 &&
		    !p->burst_closed) {
			/* what was queued goes out first; nothing after */
			p->burst_closed = 1;
			burst(p, cp);
			ocppnet_close(p->net, cp);
			printf("after close %s: %s\n", p->cp[cp].identity,
			    ocppnet_send(p->net, cp, "[]", 2) == 0 ? "taken" :
			    "refused");
		}
		break;
	}
}

static void
print_stats(uv_timer_t *t)
{
	struct probe		*p = t->data;
	struct ocppnet_stats	 st;

	ocppnet_stats(p->net, &st);
	printf("stats up=%d connects=%llu failures=%llu ev_dropped=%llu "
	    "tx_dropped=%llu\n", st.up, (unsigned long long)st.connects,
	    (unsigned long long)st.failures,
	    (unsigned long long)st.ev_dropped,
	    (unsigned long long)st.tx_dropped);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct probe *p = s->data;

	(void)signum;
	print_stats(&p->stats);
	ocppnet_stop(p->net);
	p->net = NULL;
	uv_close((uv_handle_t *)&p->sigterm, NULL);
	uv_close((uv_handle_t *)&p->sigint, NULL);
	uv_close((uv_handle_t *)&p->stats, NULL);
}

int
main(int argc, char **argv)
{
	struct ocppnet_conf	 conf;
	struct probe		 p;
	const char		*prefix = "CP-", *password = "";
	int			 n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: ocpp_probe URL N [options]\n");
		return 2;
	}
	memset(&conf, 0, sizeof(conf));
	memset(&p, 0, sizeof(p));
	snprintf(conf.url, sizeof(conf.url), "%s", argv[1]);
	n = atoi(argv[2]);
	if (n < 1 || n > 10000)
		return 2;
	for (int i = 3; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";

		if (strcmp(argv[i], "--prefix") == 0)
			prefix = v, i++;
		else if (strcmp(argv[i], "--profile") == 0)
			conf.security_profile = atoi(v), i++;
		else if (strcmp(argv[i], "--password") == 0)
			password = v, i++;
		else if (strcmp(argv[i], "--ca") == 0)
			snprintf(conf.ca_file, sizeof(conf.ca_file), "%s", v),
			    i++;
		else if (strcmp(argv[i], "--ping") == 0)
			conf.ping_interval_s = atoi(v), i++;
		else if (strcmp(argv[i], "--quiet") == 0)
			p.quiet = 1;
		else if (strcmp(argv[i], "--burst") == 0)
			p.burst = atoi(v), i++;
		else if (strcmp(argv[i], "--close-after-boot") == 0)
			p.close_after_boot = 1;
		else if (strcmp(argv[i], "--close-after-burst") == 0)
			p.close_after_burst = 1;
		else {
			fprintf(stderr, "ocpp_probe: unknown %s\n", argv[i]);
			return 2;
		}
	}
	p.cp = calloc((size_t)n, sizeof(*p.cp));
	p.boots = calloc((size_t)n, sizeof(*p.boots));
	if (p.cp == NULL || p.boots == NULL)
		return 1;
	for (int i = 0; i < n; i++) {
		snprintf(p.cp[i].identity, sizeof(p.cp[i].identity), "%s%02d",
		    prefix, i + 1);
		snprintf(p.cp[i].password, sizeof(p.cp[i].password), "%s",
		    password);
	}
	conf.ncp = n;
	conf.cp = p.cp;
	conf.on_event = on_event;
	conf.arg = &p;
	if (ocppnet_start(&p.net, &conf, uv_default_loop()) != 0) {
		printf("start refused\n");
		free(p.cp);
		free(p.boots);
		return 1;
	}
	/* the conf was copied: the caller's may go */
	memset(&conf, 0, sizeof(conf));
	printf("started %d\n", n);
	uv_signal_init(uv_default_loop(), &p.sigterm);
	uv_signal_init(uv_default_loop(), &p.sigint);
	p.sigterm.data = p.sigint.data = &p;
	uv_signal_start(&p.sigterm, on_signal, SIGTERM);
	uv_signal_start(&p.sigint, on_signal, SIGINT);
	uv_timer_init(uv_default_loop(), &p.stats);
	p.stats.data = &p;
	uv_timer_start(&p.stats, print_stats, 1000, 1000);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	uv_loop_close(uv_default_loop());
	free(p.cp);
	free(p.boots);
	printf("stopped\n");
	return 0;
}
