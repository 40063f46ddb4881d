/*
 * text.h: texts that came from outside (user names, charger names and
 * RFID tags read over the network, configuration strings), made safe to
 * write into a log line, an event, a JSON answer or a terminal.
 */
#ifndef EVG_TEXT_H
#define EVG_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The length of the longest prefix of the string s that is at most max
 * bytes long and does not end inside a UTF-8 character: where to cut s
 * to fit max bytes ("%.*s" with it never splits a character). A valid
 * character cut short by the end of s (a buffer that vsnprintf filled)
 * is left out too; an invalid byte counts as one character of its own.
 */
size_t	utf8_trunc(const char *s, size_t max);

/* The length of the whole, valid UTF-8 character at the start of s[0..n)
 * (n > 0), or 0 when the bytes there are not one. */
size_t	utf8_char(const char *s, size_t n);

/* Whether the string s is valid UTF-8 that text_escape() would leave as
 * it is: no control character, nothing that reorders a line. What a
 * configuration string must be (cfg.c). */
bool	text_is_plain(const char *s);

/*
 * Copies the string src into dst (len bytes, len > 0; dst and src must
 * not overlap) as valid UTF-8 that holds no control character, and
 * returns the length written (dst is always NUL-terminated):
 *   - tab, line feed and carriage return become \t, \n and \r; the other
 *     C0 controls and DEL become \xNN (ESC: \x1b);
 *   - the C1 controls (U+0080-U+009F), the line and paragraph separators
 *     (U+2028, U+2029), the bidirectional marks (U+061C, U+200E, U+200F),
 *     embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
 *     which can end or reorder a displayed line, become \uNNNN;
 *   - each invalid or cut UTF-8 sequence (its maximal subpart, Unicode
 *     3.9) becomes U+FFFD, the replacement character;
 *   - everything else, non-ASCII letters included, is copied as it is.
 * What does not fit is left out whole: dst ends on a character boundary,
 * never inside a character or an escape. Backslashes are not doubled, so
 * the function is idempotent (escaping a text twice changes nothing) and
 * each layer (event, log, console) may apply it again; the price is that
 * a literal backslash-n reads like an escaped line feed, which cannot
 * start a line of its own.
 */
size_t	text_escape(char *dst, size_t len, const char *src);

#endif
