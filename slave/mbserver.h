/*
 * mbserver.h: serves one charger's register map over Modbus TCP inside
 * the libuv loop. Frames are gathered with non-blocking reads; libmodbus
 * builds and sends the replies; no call ever waits on a client.
 */
#ifndef EVG_MBSERVER_H
#define EVG_MBSERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <modbus.h>
#include <uv.h>

#include "mbguard.h"
#include "slave.h"
#include "slave_config.h"

#define MBS_MAX_CLIENTS		8
/* Design: a client that leaves a frame half-sent for 2 s is dropped. */
#define MBS_PARTIAL_FRAME_MS	2000
/* Refused connections are counted, and logged at most this often: a
 * crowd knocking must not fill the log. */
#define MBS_REFUSED_LOG_MS	10000
/* Connections closed for what their client did (junk, a frame left
 * half-sent, idle, a writer's third): the first of a burst is logged,
 * then one line with the count at most this often, however fast a
 * client opens connections and sends junk. */
#define MBS_CLOSED_LOG_MS	60000

/* Why a connection was closed: each kind has its own line a minute, so
 * that a flood of one does not hide the first of another. */
enum mbs_close {
	MBS_CLOSE_JUNK,		/* not a Modbus TCP frame */
	MBS_CLOSE_PARTIAL,	/* a frame left half-sent */
	MBS_CLOSE_IDLE,		/* no request for MBG_IDLE_MS */
	MBS_CLOSE_ROOM,		/* closed to make room for a privileged one */
	MBS_CLOSE_KINDS
};

struct mbclient;
struct mbserver;

/* Modbus Application Protocol v1.1b3, 6.3, 6.4, 6.12. */
#define MBS_MAX_READ_REGS	125
#define MBS_MAX_WRITE_REGS	123

/* One request's function, registers and (a write's) values. */
struct mbserver_req {
	uint8_t		 fc;
	bool		 write;
	unsigned	 addr, count;
	uint16_t	 vals[MBS_MAX_WRITE_REGS];
};

/* Answers one complete ADU (libmodbus reply or exception); 0 or -1 to
 * close the connection. */
typedef int (*mbserver_fn)(struct mbserver *, const uint8_t *adu, int len,
    bool may_write, uint64_t now_ms);

struct mbserver {
	mbserver_fn		 handle;
	void			*arg;		/* the handler's */
	uv_loop_t		*loop;
	struct slave		*slave;
	modbus_t		*ctx;		/* builds and sends replies */
	modbus_mapping_t	*map;
	int			 fd;
	uv_poll_t		 poll;
	bool			 open;
	uint32_t		 masters[SLAVE_MAX_MASTERS];
	uint32_t		 masks[SLAVE_MAX_MASTERS];	/* a block's */
	int			 nmasters;
	int			 unit_id;
	bool			 blackhole;	/* simulator: accept, never answer */
	struct mbclient		*clients[MBS_MAX_CLIENTS];
	struct mbg_conn		 guard[MBS_MAX_CLIENTS];	/* who, since when */
	uint64_t		 requests, exceptions, dropped;
	uint64_t		 refused_logged_ms;
	uint64_t		 refused_unlogged;
	/* per enum mbs_close: the last line, how many closed since, the
	 * last of them */
	uint64_t		 closed_logged_ms[MBS_CLOSE_KINDS];
	uint64_t		 closed_unlogged[MBS_CLOSE_KINDS];
	char			 closed_last[MBS_CLOSE_KINDS][160];
	char			 name[32];	/* for logs */
	/* who the addresses of masters[] are, for logs ("its master", a
	 * BMS's "a writer (bms.writers)") */
	const char		*privileged;
};

int	mbserver_listen(struct mbserver *, uv_loop_t *, const char *ip,
	    int port, const char *name, mbserver_fn, void *arg, char *err,
	    size_t errlen);
int	mbserver_start(struct mbserver *, uv_loop_t *, struct slave *,
	    const struct slave_config *, const char *name, char *err, size_t);
int	mbserver_masters(struct mbserver *, const char *list);
int	mbserver_exception(struct mbserver *, const uint8_t *adu, int exc);
int	mbserver_request(const uint8_t *adu, int len, struct mbserver_req *);
void	mbserver_tick(struct mbserver *, uint64_t now_ms);
void	mbserver_close(struct mbserver *);
int	mbserver_handle(struct mbserver *, const uint8_t *adu, int len,
	    bool may_write, uint64_t now_ms);

#endif
