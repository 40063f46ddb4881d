/*
 * rtu.c: see rtu.h. Frames are recognised by their length and CRC (a
 * pty has no silent intervals to mark them): a request to read registers
 * is 8 bytes; bytes that make no valid frame are dropped one at a time
 * until one does.
 */
#define _XOPEN_SOURCE 600
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "rtu.h"

/* Modbus over serial line v1.02, 6.2.2: CRC-16, polynomial 0xA001,
 * initial 0xFFFF, sent low byte first. */
uint16_t
rtu_crc(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = crc & 1 ? (uint16_t)((crc >> 1) ^ 0xa001) :
			    (uint16_t)(crc >> 1);
	}
	return crc;
}

static size_t
seal(uint8_t *out, size_t n)
{
	uint16_t crc = rtu_crc(out, n);

	out[n] = (uint8_t)(crc & 0xff);
	out[n + 1] = (uint8_t)(crc >> 8);
	return n + 2;
}

/*
 * The answer to the request at the front of req (len bytes): its length
 * (0: none owed: not ours, or not a whole valid frame yet); *used is how
 * many bytes the request took (0: wait for more, 1: drop one byte).
 */
size_t
rtu_answer(const uint8_t *req, size_t len, int unit, const uint16_t regs[8],
    uint8_t *out, size_t *used)
{
	unsigned addr, count;

	*used = 0;
	if (len < 8)
		return 0;
	if (rtu_crc(req, 6) != (uint16_t)(req[6] | req[7] << 8)) {
		*used = 1;
		return 0;
	}
	*used = 8;
	if (req[0] != unit)
		return 0;		/* another device on the line */
	out[0] = req[0];
	if (req[1] != 0x04) {
		out[1] = (uint8_t)(req[1] | 0x80);
		out[2] = 0x01;		/* illegal function */
		return seal(out, 3);
	}
	addr = (unsigned)req[2] << 8 | req[3];
	count = (unsigned)req[4] << 8 | req[5];
	if (count < 1 || addr + count > 8) {
		out[1] = 0x84;
		out[2] = 0x02;		/* illegal data address */
		return seal(out, 3);
	}
	out[1] = 0x04;
	out[2] = (uint8_t)(2 * count);
	for (unsigned i = 0; i < count; i++) {
		out[3 + 2 * i] = (uint8_t)(regs[addr + i] >> 8);
		out[4 + 2 * i] = (uint8_t)(regs[addr + i] & 0xff);
	}
	return seal(out, 3 + 2 * count);
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	struct rtu *r = h->data;
	ssize_t	 n;

	(void)events;
	if (status < 0)
		return;
	n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
	if (n <= 0)
		return;		/* EAGAIN, or the other end closed (EIO) */
	r->len += (size_t)n;
	for (;;) {
		uint8_t	 out[RTU_MAX_ADU];
		uint16_t regs[8];
		size_t	 used, olen;

		if (r->regs(r->arg, regs) != 0)
			break;
		olen = rtu_answer(r->buf, r->len, r->unit, regs, out, &used);
		if (used == 0)
			break;
		if (used == 1)
			r->bad++;
		else
			r->requests++;
		if (olen > 0 && !r->blackhole &&
		    write(r->fd, out, olen) != (ssize_t)olen)
			r->bad++;
		memmove(r->buf, r->buf + used, r->len - used);
		r->len -= used;
	}
	if (r->len == sizeof(r->buf))
		r->len = 0;		/* no frame in a full buffer */
}

int
rtu_start(struct rtu *r, uv_loop_t *loop, const char *link, int unit,
    rtu_regs_fn regs, void *arg, char *err, size_t errlen)
{
	struct termios t;
	const char *name;

	memset(r, 0, sizeof(*r));
	r->unit = unit;
	r->regs = regs;
	r->arg = arg;
	if ((r->fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK)) < 0 ||
	    grantpt(r->fd) != 0 || unlockpt(r->fd) != 0 ||
	    (name = ptsname(r->fd)) == NULL) {
		snprintf(err, errlen, "pseudo-terminal: %s", strerror(errno));
		if (r->fd >= 0)
			close(r->fd);
		return -1;
	}
	/* raw bytes both ways: no echo, no line editing, no CR/LF games */
	if (tcgetattr(r->fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(r->fd, TCSANOW, &t);
	}
	snprintf(r->link, sizeof(r->link), "%s", link);
	(void)unlink(link);
	if (symlink(name, link) != 0) {
		snprintf(err, errlen, "%s -> %s: %s", link, name,
		    strerror(errno));
		close(r->fd);
		return -1;
	}
	uv_poll_init(loop, &r->poll, r->fd);
	r->poll.data = r;
	uv_poll_start(&r->poll, UV_READABLE, on_readable);
	return 0;
}

static void
closed(uv_handle_t *h)
{
	struct rtu *r = h->data;

	close(r->fd);
	r->fd = -1;
}

void
rtu_stop(struct rtu *r)
{
	if (r->fd < 0)
		return;
	(void)unlink(r->link);
	uv_close((uv_handle_t *)&r->poll, closed);
}
