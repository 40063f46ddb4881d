/*
 * auth.h: logins for the web UI, the API and the console. Three roles
 * (bms: a building management system, which may only set the external
 * limit and read the status);
 * passwords hashed with Argon2id (libsodium crypto_pwhash_str, memory
 * hard); sessions are random 256-bit tokens with a CSRF token each and an
 * idle expiry; failed logins are limited per client address. Shared by
 * the web server's threads: every call takes the lock, none holds it
 * while hashing.
 */
#ifndef EVG_AUTH_H
#define EVG_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define AUTH_MAX_USERS		32
#define AUTH_MAX_SESSIONS	128	/* the oldest idle one makes room */
#define AUTH_MAX_ADDRS		256	/* addresses with recent failures */
#define AUTH_NAME_LEN		32
#define AUTH_TOKEN_LEN		64	/* hex of 32 random bytes */
#define AUTH_HASH_LEN		128	/* crypto_pwhash_STRBYTES */
#define AUTH_PASSWORD_MIN	8
#define AUTH_PASSWORD_MAX	128
#define AUTH_FAILS_MAX		5	/* failed logins per address ... */
#define AUTH_FAILS_WINDOW_MS	60000	/* ... within this ... */
#define AUTH_LOCKOUT_MS		60000	/* ... lock it out this long */
/* Failed logins from all addresses together in a window, those being
 * checked included: beyond this the appliance refuses every login until
 * the window is over (a guessing campaign spread over many addresses). */
#define AUTH_GLOBAL_FAILS_MAX	60
/* An address that logged in lately is not held to that ceiling (its own
 * limit still holds): a flood of guesses from many addresses cannot lock
 * out the laptops that logged in this week. */
#define AUTH_TRUSTED_MAX	32
#define AUTH_TRUST_MS		(7ull * 24 * 3600 * 1000)
/*
 * Argon2id with 7 MiB and 5 passes: one of the five settings that the
 * OWASP Password Storage Cheat Sheet gives as equal in defence (46 MiB x 1,
 * 19 x 2, 12 x 3, 9 x 4, 7 x 5 passes: the same memory-time product an
 * attacker pays per guess), the one that asks least memory of the
 * appliance. The 19 MiB x 2 used before cost 19 MiB of peak memory per
 * hash, at the first start too (the default login is hashed then):
 * alone more than half the master's 32 MB budget. About 22 ms a hash on
 * the build machine (30 ms before). Hashes made with other settings are
 * made again at the user's next login (auth_upgrade).
 */
#define AUTH_PWHASH_OPS		5	/* Argon2id passes */
#define AUTH_PWHASH_MEM		(7u * 1024 * 1024)	/* bytes */
#define AUTH_HASHING		2	/* hashes at once, at most: 14 MiB */
#define AUTH_DEFAULT_USER	"installer"
#define AUTH_DEFAULT_PASSWORD	"installer"

enum auth_role { ROLE_OPERATOR = 0, ROLE_INSTALLER = 1, ROLE_BMS = 2 };

enum auth_result {
	AUTH_OK = 0,
	AUTH_BAD = -1,		/* unknown user or wrong password */
	AUTH_LIMITED = -2,	/* too many failures from this address */
	AUTH_INVALID = -3,	/* a name or password breaks the rules */
	AUTH_EXISTS = -4,
	AUTH_NOTFOUND = -5,
	AUTH_FULL = -6,
	AUTH_LAST = -7,		/* would remove the last installer */
	AUTH_NOMEM = -8,
};

struct auth_user {
	bool		 used;
	char		 name[AUTH_NAME_LEN];
	int		 role;
	bool		 must_change;
	char		 hash[AUTH_HASH_LEN];
};

/*
 * A login session. The table keeps the token's hash only (tok_hash), as
 * the database does: a copy of either does not log anyone in. token is
 * the caller's, filled in what auth_login and auth_session return.
 */
struct auth_session {
	bool		 used;
	char		 token[AUTH_TOKEN_LEN + 1];
	char		 tok_hash[AUTH_TOKEN_LEN + 1];	/* BLAKE2b-256, hex */
	char		 csrf[AUTH_TOKEN_LEN + 1];
	char		 user[AUTH_NAME_LEN];
	int		 role;
	bool		 must_change;
	uint64_t	 last_ms;
	uint64_t	 saved_ms;	/* last use last told to persist */
};

/* What auth tells its keeper (web.c: the database) about sessions: one
 * begun or used (at most once a minute), or one ended. Called with the
 * auth's lock held. */
enum auth_persist_op { AUTH_SESSION_PUT, AUTH_SESSION_DROP };
typedef void (*auth_persist_fn)(void *arg, enum auth_persist_op,
    const struct auth_session *);
#define AUTH_PERSIST_MS		60000	/* last use saved this often */

struct auth_addr {
	char		 addr[48];
	int		 fails;
	int		 pending;	/* attempts being checked now */
	uint64_t	 first_ms, locked_until_ms;
};

struct auth {
	uv_mutex_t	 mu;
	uv_sem_t	 hashing;	/* AUTH_HASHING at once */
	uint64_t	 idle_ms;
	struct auth_user users[AUTH_MAX_USERS];
	struct auth_session sessions[AUTH_MAX_SESSIONS];
	struct auth_addr addrs[AUTH_MAX_ADDRS];
	int		 global_fails;	/* in the window since global_ms */
	int		 global_pending;	/* logins being checked now */
	uint64_t	 global_ms;
	struct auth_trusted {
		char		 addr[48];
		uint64_t	 until_ms;
	}		 trusted[AUTH_TRUSTED_MAX];
	char		 dummy_hash[AUTH_HASH_LEN];	/* unknown users */
	auth_persist_fn	 persist;	/* NULL: sessions die with the process */
	void		*persist_arg;
};

int	auth_init(struct auth *, uint64_t idle_ms);
void	auth_free(struct auth *);
const char *auth_role_name(int role);
int	auth_role_parse(const char *);
int	auth_check_name(const char *name, char *why, size_t);
int	auth_check_password(const char *user, const char *password, char *why,
	    size_t);
/* From the database, or a new one (hash computed here). */
int	auth_put_user(struct auth *, const char *name, int role,
	    const char *hash, bool must_change);
int	auth_add_user(struct auth *, const char *name, int role,
	    const char *password, bool must_change, struct auth_user *out);
int	auth_delete_user(struct auth *, const char *name);
int	auth_users(struct auth *, struct auth_user *out, int max);
bool	auth_has_users(struct auth *);
int	auth_login(struct auth *, const char *addr, const char *user,
	    const char *password, uint64_t now_ms, struct auth_session *out,
	    uint64_t *retry_after_ms);
bool	auth_session(struct auth *, const char *token, uint64_t now_ms,
	    struct auth_session *out);
void	auth_logout(struct auth *, const char *token);
int	auth_check_current(struct auth *, const char *addr, const char *user,
	    const char *pw, uint64_t now_ms, uint64_t *retry_after);
int	auth_set_password(struct auth *, const char *user, const char *old,
	    const char *password, bool check_old, const char *keep_token,
	    struct auth_user *out);
int	auth_upgrade(struct auth *, const char *user, const char *password,
	    struct auth_user *out);
bool	auth_token_equal(const char *a, const char *b);
int	auth_restore_session(struct auth *, const char *tok_hash,
	    const char *user, const char *csrf, uint64_t idle_for_ms,
	    uint64_t now_ms);

#endif
