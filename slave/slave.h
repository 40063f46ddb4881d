/*
 * slave.h: one charger unit as the program runs it: configuration, the
 * firmware core, the hardware behind the HAL, and what the control
 * interface may do to them.
 */
#ifndef EVG_SLAVE_H
#define EVG_SLAVE_H

#include <stdint.h>

#include "ctl.h"
#include "fw.h"
#include "hal.h"
#include "hal_sim.h"
#include "slave_config.h"

struct slave {
	struct slave_config	 conf;
	struct fw		 fw;
	struct sim_hw		 sim;
	struct hal		 hal;
	uint64_t		 start_ms;
	uint64_t		 ticks;
	uint64_t		 last_tick_ms;
	struct fw_out		 out;	/* of the last step */
};

int	slave_init(struct slave *, const struct slave_config *, uint64_t now);
void	slave_tick(struct slave *, uint64_t now_ms);
int	slave_exec(struct slave *, const struct ctl_cmd *, uint64_t now_ms,
	    char **reply);
char	*slave_status_json(const struct slave *, uint64_t now_ms);
char	*slave_control_line(struct slave *, const char *line, uint64_t now_ms);

#endif
