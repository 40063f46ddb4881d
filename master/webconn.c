/*
 * webconn.c: the web server's connection rules. See webconn.h.
 */
#include <string.h>

#include "webconn.h"

void
webconn_init(struct webconn *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < WEBCONN_SLOTS; i++)
		t->slot[i].fd = -1;
}

/* The connections an address holds (not counting those cut). */
int
webconn_held(const struct webconn *t, const struct webconn_addr *a)
{
	int	 n = 0;

	for (int i = 0; i < WEBCONN_SLOTS; i++)
		if (t->slot[i].phase != WC_FREE && t->slot[i].phase != WC_CUT &&
		    memcmp(&t->slot[i].addr, a, sizeof(*a)) == 0)
			n++;
	return n;
}

/* Cuts a slot: its socket is to be shut down (the server then closes it
 * and webconn_close() frees the slot). */
static int
cut(struct webconn *t, struct webconn_slot *s)
{
	s->phase = WC_CUT;
	t->closing++;
	return s->fd;
}

/*
 * Whether a new connection from a may be accepted, and if not why. When
 * it is accepted by making room, *evict_fd is the socket to shut down
 * (else -1): the connection that has waited longest for its headers.
 */
enum webconn_refusal
webconn_admit(struct webconn *t, const struct webconn_addr *a,
    int *evict_fd)
{
	struct webconn_slot *oldest = NULL;
	int	 held, live = t->open - t->closing;

	*evict_fd = -1;
	if (t->open >= WEBCONN_SLOTS)
		return WC_FULL;
	held = webconn_held(t, a);
	if (held >= WEBCONN_PER_ADDR)
		return WC_ADDR_LIMIT;
	if (live < WEBCONN_MAX - WEBCONN_RESERVE)
		return WC_OK;
	if (held >= WEBCONN_FEW)
		return WC_RESERVED;
	if (live < WEBCONN_MAX)
		return WC_OK;
	for (int i = 0; i < WEBCONN_SLOTS; i++) {
		struct webconn_slot *s = &t->slot[i];

		if (s->phase == WC_HEADERS && (oldest == NULL ||
		    s->since_ms < oldest->since_ms))
			oldest = s;
	}
	if (oldest == NULL)
		return WC_FULL;		/* every one is being answered */
	*evict_fd = cut(t, oldest);
	t->evicted++;
	return WC_OK;
}

/* A connection accepted: its slot, or -1 when none is free (the server
 * holds no more than WEBCONN_SLOTS, so this does not happen). */
int
webconn_open(struct webconn *t, const struct webconn_addr *a, int fd,
    uint64_t now_ms)
{
	for (int i = 0; i < WEBCONN_SLOTS; i++) {
		struct webconn_slot *s = &t->slot[i];

		if (s->phase != WC_FREE)
			continue;
		s->phase = WC_HEADERS;
		s->addr = *a;
		s->fd = fd;
		s->since_ms = now_ms;
		t->open++;
		return i;
	}
	return -1;
}

/* A request moved on (headers in, answer started, answer sent). A cut
 * connection stays cut: it is closing. */
void
webconn_phase(struct webconn *t, int slot, enum webconn_phase ph,
    uint64_t now_ms)
{
	struct webconn_slot *s;

	if (slot < 0 || slot >= WEBCONN_SLOTS || ph == WC_FREE ||
	    ph == WC_CUT)
		return;
	s = &t->slot[slot];
	if (s->phase == WC_FREE || s->phase == WC_CUT)
		return;
	s->phase = ph;
	s->since_ms = now_ms;
}

void
webconn_close(struct webconn *t, int slot)
{
	struct webconn_slot *s;

	if (slot < 0 || slot >= WEBCONN_SLOTS)
		return;
	s = &t->slot[slot];
	if (s->phase == WC_FREE)
		return;
	if (s->phase == WC_CUT)
		t->closing--;
	s->phase = WC_FREE;
	s->fd = -1;
	t->open--;
}

/*
 * The sockets whose request is overdue, at most max of them into fds (the
 * caller shuts them down while it still holds the lock that keeps them
 * open); they are marked cut, so each is named once. Returns how many.
 */
int
webconn_overdue(struct webconn *t, uint64_t now_ms, int *fds, int max)
{
	int	 n = 0;

	for (int i = 0; i < WEBCONN_SLOTS && n < max; i++) {
		struct webconn_slot *s = &t->slot[i];
		uint64_t limit;

		if (s->phase == WC_HEADERS)
			limit = WEBCONN_HEADERS_MS;
		else if (s->phase == WC_BODY)
			limit = WEBCONN_BODY_MS;
		else
			continue;
		if (now_ms - s->since_ms < limit)
			continue;
		fds[n++] = cut(t, s);
		t->cut++;
	}
	return n;
}

const char *
webconn_refusal_text(enum webconn_refusal r)
{
	switch (r) {
	case WC_OK:
		return "accepted";
	case WC_FULL:
		return "every connection is in use";
	case WC_ADDR_LIMIT:
		return "this address holds the most connections one address "
		    "may hold";
	case WC_RESERVED:
		return "the last connections are kept for addresses holding "
		    "few";
	}
	return "?";
}
