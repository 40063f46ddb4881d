/*
 * auth.c: users, password hashes, login sessions and the per-address
 * login limit. See auth.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"

_Static_assert(AUTH_HASH_LEN >= crypto_pwhash_STRBYTES, "hash buffer");

static const char *const role_names[] = { "operator", "installer", "bms" };

const char *
auth_role_name(int role)
{
	return role == ROLE_INSTALLER || role == ROLE_BMS ? role_names[role] :
	    role_names[0];
}

int
auth_role_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s != NULL && strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

/*
 * Argon2id with the settings in auth.h: hard enough on memory that
 * guessing does not scale, light enough for an appliance. At most
 * AUTH_HASHING hashes at once (AUTH_HASHING x 7 MiB at worst); more
 * logins wait their turn.
 */
static int
hash_pw(struct auth *a, const char *password, char hash[AUTH_HASH_LEN])
{
	int	 rc;

	uv_sem_wait(&a->hashing);
	rc = crypto_pwhash_str(hash, password, strlen(password),
	    AUTH_PWHASH_OPS, AUTH_PWHASH_MEM);
	uv_sem_post(&a->hashing);
	return rc == 0 ? 0 : AUTH_NOMEM;
}

static bool
verify(struct auth *a, const char *hash, const char *password)
{
	bool	 ok;

	uv_sem_wait(&a->hashing);
	ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
	uv_sem_post(&a->hashing);
	return ok;
}

static void
random_hex(char *out, size_t nbytes)
{
	unsigned char b[64];

	randombytes_buf(b, nbytes);
	sodium_bin2hex(out, nbytes * 2 + 1, b, nbytes);
	sodium_memzero(b, sizeof(b));
}

int
auth_init(struct auth *a, uint64_t idle_ms)
{
	memset(a, 0, sizeof(*a));
	if (sodium_init() < 0)
		return -1;
	a->idle_ms = idle_ms;
	uv_mutex_init(&a->mu);
	if (uv_sem_init(&a->hashing, AUTH_HASHING) != 0) {
		uv_mutex_destroy(&a->mu);
		return -1;
	}
	return 0;
}

void
auth_free(struct auth *a)
{
	uv_mutex_destroy(&a->mu);
	uv_sem_destroy(&a->hashing);
	sodium_memzero(a, sizeof(*a));
}

int
auth_check_name(const char *name, char *why, size_t len)
{
	size_t	 n = strlen(name);

	if (n < 1 || n >= AUTH_NAME_LEN) {
		snprintf(why, len, "user name must be 1-%d characters",
		    AUTH_NAME_LEN - 1);
		return AUTH_INVALID;
	}
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != '_') {
			snprintf(why, len, "user name may hold letters, digits, "
			    "'.', '-' and '_' only");
			return AUTH_INVALID;
		}
	return 0;
}

int
auth_check_password(const char *user, const char *pw, char *why, size_t len)
{
	size_t	 n = strlen(pw);

	if (n < AUTH_PASSWORD_MIN || n > AUTH_PASSWORD_MAX) {
		snprintf(why, len, "password must be %d-%d characters",
		    AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		return AUTH_INVALID;
	}
	if (strcmp(pw, AUTH_DEFAULT_PASSWORD) == 0 || strcmp(pw, user) == 0) {
		snprintf(why, len, "password must not be the default or the "
		    "user name");
		return AUTH_INVALID;
	}
	return 0;
}

static struct auth_user *
find_user(struct auth *a, const char *name)
{
	for (int i = 0; i < AUTH_MAX_USERS; i++)
		if (a->users[i].used && strcmp(a->users[i].name, name) == 0)
			return &a->users[i];
	return NULL;
}

int
auth_put_user(struct auth *a, const char *name, int role, const char *hash,
    bool must_change)
{
	struct auth_user *u;
	int	 rc = 0;

	if (strlen(name) >= AUTH_NAME_LEN || strlen(hash) >= AUTH_HASH_LEN ||
	    (role != ROLE_OPERATOR && role != ROLE_INSTALLER &&
	    role != ROLE_BMS))
		return AUTH_INVALID;
	uv_mutex_lock(&a->mu);
	if ((u = find_user(a, name)) == NULL)
		for (int i = 0; i < AUTH_MAX_USERS && u == NULL; i++)
			if (!a->users[i].used)
				u = &a->users[i];
	if (u == NULL)
		rc = AUTH_FULL;
	else {
		*u = (struct auth_user){ .used = true, .role = role,
		    .must_change = must_change };
		snprintf(u->name, sizeof(u->name), "%s", name);
		snprintf(u->hash, sizeof(u->hash), "%s", hash);
	}
	uv_mutex_unlock(&a->mu);
	return rc;
}

int
auth_add_user(struct auth *a, const char *name, int role, const char *pw,
    bool must_change, struct auth_user *out)
{
	char	 hash[AUTH_HASH_LEN];
	bool	 exists;

	uv_mutex_lock(&a->mu);
	exists = find_user(a, name) != NULL;
	uv_mutex_unlock(&a->mu);
	if (exists)
		return AUTH_EXISTS;
	if (hash_pw(a, pw, hash) != 0)
		return AUTH_NOMEM;
	uv_mutex_lock(&a->mu);
	exists = find_user(a, name) != NULL;	/* raced with another add */
	uv_mutex_unlock(&a->mu);
	if (exists)
		return AUTH_EXISTS;
	if (auth_put_user(a, name, role, hash, must_change) != 0)
		return AUTH_FULL;
	if (out != NULL) {
		*out = (struct auth_user){ .used = true, .role = role,
		    .must_change = must_change };
		snprintf(out->name, sizeof(out->name), "%s", name);
		snprintf(out->hash, sizeof(out->hash), "%s", hash);
	}
	return 0;
}

/* The hash of a token, as kept in the table and the database. */
static void
token_hash(const char *token, char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char h[AUTH_TOKEN_LEN / 2];

	crypto_generichash(h, sizeof(h), (const unsigned char *)token,
	    strlen(token), NULL, 0);
	sodium_bin2hex(out, AUTH_TOKEN_LEN + 1, h, sizeof(h));
}

static void
session_drop(struct auth *a, struct auth_session *s)
{
	if (s->used && a->persist != NULL)
		a->persist(a->persist_arg, AUTH_SESSION_DROP, s);
	memset(s, 0, sizeof(*s));
}

static void
drop_sessions_of(struct auth *a, const char *name, const char *keep)
{
	char	 kh[AUTH_TOKEN_LEN + 1] = "";

	if (keep != NULL)
		token_hash(keep, kh);
	for (int i = 0; i < AUTH_MAX_SESSIONS; i++)
		if (a->sessions[i].used &&
		    strcmp(a->sessions[i].user, name) == 0 &&
		    (keep == NULL ||
		    !auth_token_equal(a->sessions[i].tok_hash, kh)))
			session_drop(a, &a->sessions[i]);
}

int
auth_delete_user(struct auth *a, const char *name)
{
	struct auth_user *u;
	int	 installers = 0, rc = 0;

	uv_mutex_lock(&a->mu);
	for (int i = 0; i < AUTH_MAX_USERS; i++)
		installers += a->users[i].used &&
		    a->users[i].role == ROLE_INSTALLER;
	if ((u = find_user(a, name)) == NULL)
		rc = AUTH_NOTFOUND;
	else if (u->role == ROLE_INSTALLER && installers == 1)
		rc = AUTH_LAST;
	else {
		memset(u, 0, sizeof(*u));
		drop_sessions_of(a, name, NULL);
	}
	uv_mutex_unlock(&a->mu);
	return rc;
}

int
auth_users(struct auth *a, struct auth_user *out, int max)
{
	int	 n = 0;

	uv_mutex_lock(&a->mu);
	for (int i = 0; i < AUTH_MAX_USERS && n < max; i++)
		if (a->users[i].used)
			out[n++] = a->users[i];
	uv_mutex_unlock(&a->mu);
	return n;
}

bool
auth_has_users(struct auth *a)
{
	struct auth_user u;

	return auth_users(a, &u, 1) > 0;
}

bool
auth_token_equal(const char *a, const char *b)
{
	size_t	 n = strlen(a);

	return n == AUTH_TOKEN_LEN && strlen(b) == n &&
	    sodium_memcmp(a, b, n) == 0;
}

/*
 * The address's slot; a new one takes a free slot or the one that failed
 * longest ago, but never one that is locked or has an attempt being
 * checked: forgetting it would lift its lock. With none to take, NULL:
 * the caller refuses the attempt (new addresses wait, locks stand).
 */
static struct auth_addr *
addr_slot(struct auth *a, const char *addr, uint64_t now, bool create)
{
	struct auth_addr *oldest = NULL;

	for (int i = 0; i < AUTH_MAX_ADDRS; i++) {
		struct auth_addr *s = &a->addrs[i];

		if (s->addr[0] != '\0' && strcmp(s->addr, addr) == 0)
			return s;
		if (s->addr[0] != '\0' && (s->locked_until_ms > now ||
		    s->pending > 0))
			continue;
		if (oldest == NULL || s->addr[0] == '\0' ||
		    (oldest->addr[0] != '\0' && s->first_ms < oldest->first_ms))
			oldest = s;
	}
	if (!create || oldest == NULL)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
	oldest->first_ms = now;
	return oldest;
}

/* Whether addr logged in within AUTH_TRUST_MS. The mutex is held. */
static bool
trusted(const struct auth *a, const char *addr, uint64_t now)
{
	for (int i = 0; i < AUTH_TRUSTED_MAX; i++)
		if (a->trusted[i].until_ms > now &&
		    strcmp(a->trusted[i].addr, addr) == 0)
			return true;
	return false;
}

/* addr logged in: trusted for AUTH_TRUST_MS (its slot, a free one or the
 * one that ends first). The mutex is held. */
static void
trust(struct auth *a, const char *addr, uint64_t now)
{
	struct auth_trusted *t = &a->trusted[0];

	for (int i = 0; i < AUTH_TRUSTED_MAX; i++) {
		if (strcmp(a->trusted[i].addr, addr) == 0) {
			t = &a->trusted[i];
			break;
		}
		if (a->trusted[i].until_ms < t->until_ms)
			t = &a->trusted[i];
	}
	snprintf(t->addr, sizeof(t->addr), "%s", addr);
	t->until_ms = now + AUTH_TRUST_MS;
}

/*
 * An attempt to check a password from addr, counted before the check and
 * while it runs: parallel guesses from one address are as limited as
 * serial ones (at most AUTH_FAILS_MAX checked, whatever their timing),
 * and a login from many addresses at once as limited by the global
 * ceiling (its attempts in flight count), which holds for logins only
 * (login) and not for addresses trusted by a recent login. NULL (and
 * *retry) when it is refused unchecked. The mutex is held.
 */
static struct auth_addr *
attempt_begin(struct auth *a, const char *addr, uint64_t now, bool login,
    uint64_t *retry)
{
	struct auth_addr *as;
	bool	 ceiling;

	if (now > a->global_ms && now - a->global_ms > AUTH_FAILS_WINDOW_MS) {
		a->global_ms = now;
		a->global_fails = 0;
	}
	ceiling = login && !trusted(a, addr, now) &&
	    a->global_fails + a->global_pending >= AUTH_GLOBAL_FAILS_MAX;
	as = addr_slot(a, addr, now, true);
	if (as != NULL && now > as->first_ms && now - as->first_ms >
	    AUTH_FAILS_WINDOW_MS && as->locked_until_ms <= now) {
		as->first_ms = now;
		as->fails = 0;
	}
	if (as == NULL || ceiling || as->locked_until_ms > now ||
	    as->fails + as->pending >= AUTH_FAILS_MAX) {
		*retry = as != NULL && as->locked_until_ms > now ?
		    as->locked_until_ms - now : as == NULL || ceiling ?
		    a->global_ms + AUTH_FAILS_WINDOW_MS - now :
		    as->first_ms + AUTH_FAILS_WINDOW_MS - now;
		return NULL;
	}
	as->pending++;
	if (login)
		a->global_pending++;
	return as;
}

/* Its result: a failure counts, AUTH_FAILS_MAX of them lock the address
 * (the slot stayed this address's while the attempt was pending); a
 * login's counts globally too, and one that succeeded trusts its
 * address. */
static void
attempt_end(struct auth *a, struct auth_addr *as, bool login, bool ok,
    uint64_t now)
{
	as->pending--;
	if (login)
		a->global_pending--;
	if (ok) {
		if (login)
			trust(a, as->addr, now);
		return;
	}
	if (login)
		a->global_fails++;
	if (++as->fails >= AUTH_FAILS_MAX) {
		as->locked_until_ms = now + AUTH_LOCKOUT_MS;
		as->fails = 0;
		as->first_ms = now;
	}
}

/*
 * A user's current password, checked before they change it: counted
 * like a login from their address (issue 17, item 3), so that a session
 * cannot be used to guess it. AUTH_OK, AUTH_BAD, or AUTH_LIMITED (the
 * caller ends the session).
 */
int
auth_check_current(struct auth *a, const char *addr, const char *user,
    const char *pw, uint64_t now, uint64_t *retry_after)
{
	struct auth_addr *as;
	struct auth_user *u;
	char	 hash[AUTH_HASH_LEN];
	bool	 ok;

	uv_mutex_lock(&a->mu);
	if ((as = attempt_begin(a, addr, now, false, retry_after)) == NULL) {
		uv_mutex_unlock(&a->mu);
		return AUTH_LIMITED;
	}
	u = find_user(a, user);
	snprintf(hash, sizeof(hash), "%s", u != NULL ? u->hash : "");
	uv_mutex_unlock(&a->mu);
	ok = hash[0] != '\0' && verify(a, hash, pw);
	uv_mutex_lock(&a->mu);
	attempt_end(a, as, false, ok, now);
	uv_mutex_unlock(&a->mu);
	return ok ? AUTH_OK : AUTH_BAD;
}

/*
 * Checks a password. An address that failed AUTH_FAILS_MAX times within
 * AUTH_FAILS_WINDOW_MS is refused, without checking, for AUTH_LOCKOUT_MS.
 */
int
auth_login(struct auth *a, const char *addr, const char *user,
    const char *pw, uint64_t now, struct auth_session *out,
    uint64_t *retry_after)
{
	struct auth_addr *as;
	struct auth_user *u;
	struct auth_session *slot = NULL;
	char	 hash[AUTH_HASH_LEN];
	bool	 found, ok;

	uv_mutex_lock(&a->mu);
	if ((as = attempt_begin(a, addr, now, true, retry_after)) == NULL) {
		uv_mutex_unlock(&a->mu);
		return AUTH_LIMITED;
	}
	u = find_user(a, user);
	found = u != NULL;
	snprintf(hash, sizeof(hash), "%s", found ? u->hash : a->dummy_hash);
	uv_mutex_unlock(&a->mu);

	/* An unknown user's password is checked against a hash of a random
	 * one (made at the first need), so that a wrong name costs the same
	 * time as a wrong password. */
	if (!found && hash[0] == '\0') {
		char	 rnd[33];

		random_hex(rnd, 16);
		if (hash_pw(a, rnd, hash) != 0) {
			uv_mutex_lock(&a->mu);
			as->pending--;		/* not an attempt after all */
			a->global_pending--;
			uv_mutex_unlock(&a->mu);
			return AUTH_NOMEM;
		}
		uv_mutex_lock(&a->mu);
		snprintf(a->dummy_hash, sizeof(a->dummy_hash), "%s", hash);
		uv_mutex_unlock(&a->mu);
	}
	ok = verify(a, hash, pw) && found;

	uv_mutex_lock(&a->mu);
	u = find_user(a, user);		/* it may have gone meanwhile */
	attempt_end(a, as, true, ok && u != NULL, now);
	if (!ok || u == NULL) {
		uv_mutex_unlock(&a->mu);
		return AUTH_BAD;
	}
	/* a free slot, or the one idle longest */
	for (int i = 0; i < AUTH_MAX_SESSIONS; i++) {
		struct auth_session *s = &a->sessions[i];

		if (s->used && now > s->last_ms && now - s->last_ms > a->idle_ms)
			session_drop(a, s);
		if (slot == NULL || !s->used ||
		    (slot->used && s->last_ms < slot->last_ms))
			slot = s;
	}
	session_drop(a, slot);
	*slot = (struct auth_session){ .used = true, .role = u->role,
	    .must_change = u->must_change, .last_ms = now, .saved_ms = now };
	random_hex(slot->csrf, AUTH_TOKEN_LEN / 2);
	snprintf(slot->user, sizeof(slot->user), "%s", u->name);
	*out = *slot;
	random_hex(out->token, AUTH_TOKEN_LEN / 2);
	token_hash(out->token, slot->tok_hash);
	memcpy(out->tok_hash, slot->tok_hash, sizeof(out->tok_hash));
	if (a->persist != NULL)
		a->persist(a->persist_arg, AUTH_SESSION_PUT, slot);
	uv_mutex_unlock(&a->mu);
	return AUTH_OK;
}

/* The session of a token, refreshed; false when unknown or idle too long. */
bool
auth_session(struct auth *a, const char *token, uint64_t now,
    struct auth_session *out)
{
	char	 th[AUTH_TOKEN_LEN + 1];
	bool	 ok = false;

	if (token == NULL || strlen(token) != AUTH_TOKEN_LEN)
		return false;
	token_hash(token, th);
	uv_mutex_lock(&a->mu);
	for (int i = 0; i < AUTH_MAX_SESSIONS && !ok; i++) {
		struct auth_session *s = &a->sessions[i];

		if (!s->used || !auth_token_equal(s->tok_hash, th))
			continue;
		/* requests run in parallel: a "now" older than the last use
		 * is no idle time */
		if (now > s->last_ms && now - s->last_ms > a->idle_ms) {
			session_drop(a, s);
			break;
		}
		if (now > s->last_ms)
			s->last_ms = now;
		if (a->persist != NULL && s->last_ms - s->saved_ms >=
		    AUTH_PERSIST_MS) {
			s->saved_ms = s->last_ms;
			a->persist(a->persist_arg, AUTH_SESSION_PUT, s);
		}
		*out = *s;
		snprintf(out->token, sizeof(out->token), "%s", token);
		ok = true;
	}
	uv_mutex_unlock(&a->mu);
	return ok;
}

void
auth_logout(struct auth *a, const char *token)
{
	char	 th[AUTH_TOKEN_LEN + 1];

	if (token == NULL || strlen(token) != AUTH_TOKEN_LEN)
		return;
	token_hash(token, th);
	uv_mutex_lock(&a->mu);
	for (int i = 0; i < AUTH_MAX_SESSIONS; i++)
		if (a->sessions[i].used &&
		    auth_token_equal(a->sessions[i].tok_hash, th))
			session_drop(a, &a->sessions[i]);
	uv_mutex_unlock(&a->mu);
}

/*
 * A session kept across a restart (web.c, from the database), idle for
 * idle_for_ms: its user's role and must_change are today's. 0, or -1
 * when it is idle too long, its user has gone, or the table is full.
 */
int
auth_restore_session(struct auth *a, const char *tok_hash, const char *user,
    const char *csrf, uint64_t idle_for_ms, uint64_t now)
{
	struct auth_user *u;
	int	 rc = -1;

	if (idle_for_ms > a->idle_ms || strlen(tok_hash) != AUTH_TOKEN_LEN ||
	    strlen(csrf) != AUTH_TOKEN_LEN)
		return -1;
	uv_mutex_lock(&a->mu);
	if ((u = find_user(a, user)) != NULL)
		for (int i = 0; i < AUTH_MAX_SESSIONS; i++) {
			struct auth_session *s = &a->sessions[i];

			if (s->used)
				continue;
			*s = (struct auth_session){ .used = true,
			    .role = u->role, .must_change = u->must_change,
			    .last_ms = now > idle_for_ms ? now - idle_for_ms :
			    0 };
			s->saved_ms = s->last_ms;
			snprintf(s->tok_hash, sizeof(s->tok_hash), "%s",
			    tok_hash);
			snprintf(s->csrf, sizeof(s->csrf), "%s", csrf);
			snprintf(s->user, sizeof(s->user), "%s", u->name);
			rc = 0;
			break;
		}
	uv_mutex_unlock(&a->mu);
	return rc;
}

/*
 * A new password for a user: checked against the old one when
 * check_old (a user changing their own), not when an installer resets
 * another's. The user's other sessions end (all of them on a reset).
 */
int
auth_set_password(struct auth *a, const char *user, const char *old,
    const char *pw, bool check_old, const char *keep, struct auth_user *out)
{
	struct auth_user *u;
	char	 hash[AUTH_HASH_LEN], newhash[AUTH_HASH_LEN];
	int	 rc = 0;

	uv_mutex_lock(&a->mu);
	u = find_user(a, user);
	if (u != NULL)
		snprintf(hash, sizeof(hash), "%s", u->hash);
	uv_mutex_unlock(&a->mu);
	if (u == NULL)
		return AUTH_NOTFOUND;
	if (check_old && (old == NULL || !verify(a, hash, old)))
		return AUTH_BAD;
	if (hash_pw(a, pw, newhash) != 0)
		return AUTH_NOMEM;
	uv_mutex_lock(&a->mu);
	if ((u = find_user(a, user)) == NULL)
		rc = AUTH_NOTFOUND;
	else {
		snprintf(u->hash, sizeof(u->hash), "%s", newhash);
		u->must_change = !check_old;	/* a reset: theirs to choose */
		for (int i = 0; i < AUTH_MAX_SESSIONS; i++)
			if (a->sessions[i].used &&
			    strcmp(a->sessions[i].user, user) == 0)
				a->sessions[i].must_change = u->must_change;
		drop_sessions_of(a, user, check_old ? keep : NULL);
		*out = *u;
	}
	uv_mutex_unlock(&a->mu);
	return rc;
}

/*
 * After a login with this password: a hash made with other settings than
 * auth.h's (an older release's 19 MiB) is made again, so that the user's
 * next logins cost what this release promises. 1 when it changed (out:
 * the user, to store), 0 when it did not need to, or an AUTH_ error.
 */
int
auth_upgrade(struct auth *a, const char *user, const char *pw,
    struct auth_user *out)
{
	struct auth_user *u;
	char	 hash[AUTH_HASH_LEN], newhash[AUTH_HASH_LEN];
	int	 rc = 0;

	uv_mutex_lock(&a->mu);
	if ((u = find_user(a, user)) != NULL)
		snprintf(hash, sizeof(hash), "%s", u->hash);
	uv_mutex_unlock(&a->mu);
	if (u == NULL)
		return AUTH_NOTFOUND;
	if (crypto_pwhash_str_needs_rehash(hash, AUTH_PWHASH_OPS,
	    AUTH_PWHASH_MEM) == 0)
		return 0;
	if (hash_pw(a, pw, newhash) != 0)
		return AUTH_NOMEM;
	uv_mutex_lock(&a->mu);
	/* unless the password changed meanwhile */
	if ((u = find_user(a, user)) != NULL && strcmp(u->hash, hash) == 0) {
		snprintf(u->hash, sizeof(u->hash), "%s", newhash);
		*out = *u;
		rc = 1;
	}
	uv_mutex_unlock(&a->mu);
	return rc;
}
