/*
 * ocppnetcore.c: the OCPP transport's pure parts: the CSMS's url with a
 * charge point's identity appended, the basic-auth header, the
 * reconnection back-off. No I/O; linked alone into test_ocppnet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ocppnet.h"

uint64_t
ocppnet_backoff_ms(int attempt, uint32_t rnd)
{
	uint64_t base;

	/* 1, 2, 4 ... s, at most 60 s; a quarter of it taken off at
	 * random, so that charge points that lost the CSMS together do
	 * not come back in step */
	if (attempt < 0)
		attempt = 0;
	base = attempt >= 6 ? 60000 : (uint64_t)1000 << attempt;
	if (base > 60000)
		base = 60000;
	return base - rnd % (base / 4 + 1);
}

int
ocppnet_pct_encode(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 o = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return -1;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outlen)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

int
ocppnet_basic_auth(const char *identity, const char *password, char *out,
    size_t outlen)
{
	char	 up[49 + 1 + 65];
	size_t	 n;
	int	 w;

	w = snprintf(up, sizeof(up), "%s:%s", identity, password);
	if (w < 0 || (size_t)w >= sizeof(up))
		return -1;
	n = (size_t)w;
	if (outlen < 6 + sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL))
		return -1;
	memcpy(out, "Basic ", 6);
	sodium_bin2base64(out + 6, outlen - 6, (const unsigned char *)up, n,
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(up, sizeof(up));
	return 0;
}

static int
url_fail(char *why, size_t whylen, const char *text)
{
	snprintf(why, whylen, "%s", text);
	return -1;
}

int
ocppnet_url_split(const char *url, const char *identity,
    struct ocppnet_url *u, char *why, size_t whylen)
{
	const char *p, *hend, *pstart;
	char	 enc[3 * 48 + 1], *end;
	size_t	 hl, pl;
	long	 port;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "ws://", 5) == 0)
		p = url + 5;
	else if (strncmp(url, "wss://", 6) == 0) {
		u->tls = 1;
		p = url + 6;
	} else
		return url_fail(why, whylen, "must start with ws:// or wss://");
	for (const char *q = url; *q != '\0'; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return url_fail(why, whylen,
			    "no spaces or control characters");
	if (strpbrk(url, "?#") != NULL)
		return url_fail(why, whylen, "no query or fragment");
	pstart = p + strcspn(p, "/");
	if (memchr(p, '@', (size_t)(pstart - p)) != NULL)
		return url_fail(why, whylen,
		    "no user in the url (the password is a setting)");
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(pstart - p));
		if (hend == NULL)
			return url_fail(why, whylen, "unclosed [ in the host");
		hl = (size_t)(hend - p - 1);
		p++;
		hend++;
	} else {
		hend = p + strcspn(p, ":/");
		if (hend > pstart)
			hend = pstart;
		hl = (size_t)(hend - p);
	}
	if (hl == 0)
		return url_fail(why, whylen, "no host");
	if (hl >= sizeof(u->host))
		return url_fail(why, whylen, "host too long");
	memcpy(u->host, p, hl);
	/* libwebsockets 4.1 cuts the host at its first ':' for the
	 * certificate's name check: an IPv6 address cannot be checked */
	if (u->tls && strchr(u->host, ':') != NULL)
		return url_fail(why, whylen,
		    "wss:// needs a host name or an IPv4 address");
	u->port = u->tls ? 443 : 80;
	if (*hend == ':') {
		errno = 0;
		port = strtol(hend + 1, &end, 10);
		if (end == hend + 1 || end != pstart || errno != 0 ||
		    port < 1 || port > 65535)
			return url_fail(why, whylen, "bad port");
		u->port = (int)port;
	} else if (hend != pstart)
		return url_fail(why, whylen, "bad host");
	if (ocppnet_pct_encode(identity, enc, sizeof(enc)) != 0)
		return url_fail(why, whylen,
		    "identity empty, too long or with control characters");
	pl = strlen(pstart);
	if (snprintf(u->path, sizeof(u->path), "%s%s%s",
	    pl == 0 ? "/" : pstart,
	    pl > 0 && pstart[pl - 1] == '/' ? "" : (pl == 0 ? "" : "/"),
	    enc) >= (int)sizeof(u->path))
		return url_fail(why, whylen, "path too long");
	if (strchr(u->host, ':') != NULL)
		snprintf(u->hostport, sizeof(u->hostport), "[%s]:%d", u->host,
		    u->port);
	else
		snprintf(u->hostport, sizeof(u->hostport), "%s:%d", u->host,
		    u->port);
	return 0;
}
