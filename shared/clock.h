/*
 * clock.h: the clock interface. Only shells call it; cores take now_ms.
 */
#ifndef EVG_CLOCK_H
#define EVG_CLOCK_H

#include <stdint.h>

uint64_t	clock_now_ms(void);	/* monotonic, milliseconds */
int64_t		clock_wall_ms(void);	/* since the epoch, for records */

#endif
