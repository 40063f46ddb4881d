/*
 * bms.h: the Modbus TCP server for a building management system
 * ([bms]): the map of bmsmap.h served inside the master's loop.
 */
#ifndef EVG_BMS_H
#define EVG_BMS_H

struct master;

/* Starts it when [bms] enabled says so (0), or -1 with a log line. */
int	bms_start(struct master *);
void	bms_stop(struct master *);
void	bms_free(struct master *);

#endif
