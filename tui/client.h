/*
 * client.h: the console's link to the master's JSON API (libcurl): the
 * login, one-off requests, and a thread that follows the live event
 * stream, logs in again after a master restart and says when the master
 * does not answer.
 */
#ifndef EVG_TUI_CLIENT_H
#define EVG_TUI_CLIENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define CLIENT_TIMEOUT_S	5	/* one-off requests */
#define CLIENT_RETRY_MS		1000	/* reconnecting the stream */
#define CLIENT_SILENT_S		40	/* a stream with nothing (keep-alives
					 * come every 15 s) is dead */

struct client {
	char		 base[256];	/* http://host:port */
	char		 user[32];
	char		 password[129];
	pthread_mutex_t	 mu;		/* guards all below */
	char		 cookie[128];
	char		 csrf[80];
	bool		 installer;
	char		*latest;	/* newest status JSON, not yet taken */
	size_t		 latest_len;
	bool		 reachable;
	char		 why[96];
	bool		 stop;
	int		 wake[2];	/* a byte when something changed */
	pthread_t	 thread;
	bool		 running;
};

int	client_init(struct client *, const char *base, const char *user,
	    const char *password);
int	client_login(struct client *, char *err, size_t);
int	client_start(struct client *);
void	client_stop(struct client *);
/* Takes the newest status (malloc'd; NULL when nothing new). */
char	*client_take_status(struct client *, size_t *len, bool *reachable,
	    char *why, size_t);
/* One request; returns the HTTP status (0: no answer) and the body. */
long	client_request(struct client *, const char *method, const char *path,
	    const char *body, char **out, size_t *outlen);

#endif
