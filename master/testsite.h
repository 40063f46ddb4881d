/*
 * testsite.h: the phase check in the master's loop (testmode.h is the
 * sequence, phasecheck.h the verdict): what the API asks of it, run in
 * the loop through web_call, and its part of each control cycle.
 * docs/api.md, "Test mode", documents the calls.
 */
#ifndef EVG_TESTSITE_H
#define EVG_TESTSITE_H

#include <stdbool.h>
#include <stdint.h>

struct master;
struct site;

struct sa_test {
	const char	*who;
	int		 charger;	/* 1-based, as the connector commands */
	int		 connector;	/* 1-based */
	int32_t		 current_da;
	int		 seconds;
};

/* Each returns a malloc'd "NNN body", as siteapi.h. */
char	*sa_test_start(struct master *, void *sa_test);
char	*sa_test_get(struct master *, void *sa_test);
char	*sa_test_stop(struct master *, void *sa_test);
/* Before each control cycle (site_allocate): the test's step, and what
 * it asks of the connectors' cycle inputs. */
void	 testsite_cycle(struct site *, uint64_t now_ms);
/* The master stops (restart: to start again): a test that runs ends
 * now, with its event, rather than leave only its start in the events
 * (it lives in memory only). */
void	 testsite_shutdown(struct site *, bool restart, uint64_t now_ms);

#endif
