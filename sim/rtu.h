/*
 * rtu.h: the simulated CT kit's serial side: Modbus RTU on a
 * pseudo-terminal, so that the master's RS485 path (libmodbus RTU) is
 * exercised without hardware. The simulator owns the pty's master end;
 * the master opens the other end through a stable link (--meter-rtu).
 */
#ifndef EVG_SIM_RTU_H
#define EVG_SIM_RTU_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define RTU_MAX_ADU	256

/* Fills regs[0..7] (input registers) when asked; returns 0. */
typedef int (*rtu_regs_fn)(void *arg, uint16_t regs[8]);

struct rtu {
	int		 fd;		/* the pty's master end */
	char		 link[256];	/* symlink to its other end */
	uv_poll_t	 poll;
	uint8_t		 buf[RTU_MAX_ADU];
	size_t		 len;
	int		 unit;
	rtu_regs_fn	 regs;
	void		*arg;
	uint64_t	 requests, bad;
	int		 blackhole;	/* 1: read and never answer */
};

uint16_t rtu_crc(const uint8_t *, size_t);
size_t	rtu_answer(const uint8_t *req, size_t len, int unit,
	    const uint16_t regs[8], uint8_t *out, size_t *used);
int	rtu_start(struct rtu *, uv_loop_t *, const char *link, int unit,
	    rtu_regs_fn, void *arg, char *err, size_t errlen);
void	rtu_stop(struct rtu *);

#endif
