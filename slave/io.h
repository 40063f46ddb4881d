/*
 * io.h: the firmware shell's two halves around the core: read every input
 * through the HAL, and write every output through it.
 */
#ifndef EVG_IO_H
#define EVG_IO_H

#include "fw.h"
#include "hal.h"

void	io_gather(const struct hal *, int nconn, struct fw_in *);
void	io_apply(const struct hal *, int nconn, const struct fw_out *);

#endif
