/*
 * ocppstore.h: what the OCPP charge points keep (ocppcore.h's records)
 * in the master's database, written by a thread of its own on its own
 * connection: the loop hands records over and never waits on the disk;
 * once a batch is on disk each charge point is told how far its
 * transaction messages are (ocppcore_stored), through a uv_async.
 */
#ifndef EVG_OCPPSTORE_H
#define EVG_OCPPSTORE_H

#include <stdint.h>

#include <uv.h>

#include "ocppcore.h"

struct ocppstore;

typedef void (*ocppstore_fn)(void *arg, int cp, uint64_t seq);

int	ocppstore_open(struct ocppstore **, const char *path, uv_loop_t *,
	    ocppstore_fn on_stored, void *arg, char *err, size_t errlen);
/* Before ocppstore_load, at the start: the charger at address (its
 * place on the charger network, "host:port/unit") is charge point
 * identity now. The transaction messages and transactions it left under
 * another identity at an earlier start, one no charge point has now
 * (current[0..ncurrent-1]), are made identity's, after its own: *old gets
 * that identity ("" none). The number of messages moved, or -1. */
int	ocppstore_adopt(struct ocppstore *, const char *identity,
	    const char *address, const char *const *current, int ncurrent,
	    char *old, size_t oldlen);
/* Before ocppstore_start: what the database holds for this identity. */
int	ocppstore_load(struct ocppstore *, const char *identity,
	    struct ocpp_cp *);
int	ocppstore_start(struct ocppstore *);
/* The loop: a record of charge point cp (index) named identity. */
void	ocppstore_put(struct ocppstore *, int cp, const char *identity,
	    const struct ocpp_rec *);
/* Writes what is queued, stops the thread, closes. */
void	ocppstore_close(struct ocppstore *);

#endif
