/*
 * site.h: the site as the master runs it: the meter, the allocator and
 * the planner in the loop, the status file and operator commands.
 */
#ifndef EVG_SITE_H
#define EVG_SITE_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "linesrv.h"
#include "meter.h"
#include "meterio.h"
#include "planner.h"
#include "smart.h"

struct master;

struct site_slot {
	int		 peer;
	int		 k;		/* connector 0 or 1 */
	bool		 op_paused;	/* an operator paused it */
	struct smart_conn smart;
	bool		 smart_blocked;
	char		 rfid_seen[20];	/* the tag last decided on */
};

struct site_minute {
	int64_t		 minute;
	int		 n;
	int32_t		 min[EVG_PHASES], max[EVG_PHASES];
	int64_t		 sum[EVG_PHASES], ev[EVG_PHASES];
};

struct site {
	struct site_minute	 minute;
	struct master		*m;
	struct alloc_site	 as;
	size_t			 n;
	struct site_slot	*slot;
	struct alloc_conn	*ac;
	struct alloc_memo	*memo;
	struct plan_conn	*plan;
	int32_t			*target;
	void			*work;
	struct alloc_out	 out;
	struct meter_params	 mp;
	struct meter_core	 mc;
	struct meterio		 mio;
	bool			 meter_running;
	struct linesrv		 ctl;
	uint64_t		 allocations;
	int32_t			 last_hard[EVG_PHASES];	/* for overload events */
};

int	site_start(struct site *, struct master *);
void	site_allocate(struct site *, uint64_t now_ms);
void	site_stop(struct site *);
void	site_free(struct site *);
char	*site_status_json(const struct site *, uint64_t now_ms);
char	*site_command(struct site *, const char *who, const char *line,
	    uint64_t now_ms);
void	site_apply_params(struct site *);
int	site_config_apply(struct master *, const char *who, int n,
	    const char *const *section, const char *const *key,
	    const char *const *value, int add_charger, char *msg, size_t,
	    char *field, size_t);
bool	site_needs_restart(const char *section, const char *key);

#endif
