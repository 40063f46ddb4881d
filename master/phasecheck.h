/*
 * phasecheck.h: which phases a connector's car really draws on, from
 * what the site's meter saw before, during and after a test step at a
 * known current, and between them while the car followed (testmode.h
 * runs the step up and back down). A pure function: the readings in,
 * the verdict out (match, mismatch with the rotation the readings fit,
 * or inconclusive and why), and a sentence for the installer.
 * docs/installer-guide.md, "Checking the phase rotation", explains it.
 */
#ifndef EVG_PHASECHECK_H
#define EVG_PHASECHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "units.h"

/* Readings kept per window (one a meter reading; about 1 a second). */
#define PHASECHECK_MAX_SAMPLES	32
/* Readings kept between two windows, while the car follows (one every
 * PHASECHECK_GAP_EVERY_MS at most: the longest gap, the test current's
 * wait and the car's 5 s, fits). */
#define PHASECHECK_MAX_GAP	48
#define PHASECHECK_GAP_EVERY_MS	400
/* A window needs this many usable readings. */
#define PHASECHECK_MIN_SAMPLES	3
/* A meter reading older than this when the cycle took it is no reading:
 * two meter periods at the slowest default (1 s) and a round's wait. */
#define PHASECHECK_MAX_AGE_MS	2500
/* The car must draw at least this much more at the test current than at
 * the baseline on one of its conductors, or it "draws nothing". */
#define PHASECHECK_MIN_DRAW_DA	30
/* A conductor of the car draws when its change is at least a third of
 * the largest one (a three-phase car's conductors differ by little; a
 * single-phase car's others stay within a few tenths). */
#define PHASECHECK_LINE_SHARE	3
/* The car's change must stand this many times above the building's
 * spread (max - min of the readings in a window) to be told apart. */
#define PHASECHECK_SNR		3
/* A wiring fits when no phase is further than this from what it
 * predicts (at least; a third of the car's change and twice the spread
 * when larger). */
#define PHASECHECK_TOL_DA	15

/* One reading of the site, taken by the control cycle. */
struct phasecheck_sample {
	bool		 meter_online;
	uint32_t	 age_ms;	/* of the meter's reading, when taken */
	int32_t		 site_da[EVG_PHASES];	/* the clamps (signed) */
	bool		 conn_ok;	/* the connector's charger was read */
	/* The connector's draw per site phase, as its charger reports it
	 * (mapped by the charger's own wiring setting). */
	int32_t		 conn_da[EVG_PHASES];
	/* The other connectors' draws per site phase, as their chargers
	 * report them: their change is taken out of the rise. */
	int32_t		 others_da[EVG_PHASES];
};

/*
 * The test's readings: the site at the minimum (before), at the test
 * current (during), back at the minimum (after); and the readings of the
 * two gaps while the car followed the step up (up) and back down (down).
 * A building whose load moves in a gap, or stands elsewhere after the
 * test than before it, is noise, never evidence.
 */
struct phasecheck_in {
	const struct phasecheck_sample *before, *during, *after;
	size_t		 nbefore, nduring, nafter;
	const struct phasecheck_sample *up, *down;
	size_t		 nup, ndown;
	enum phase_conn	 configured;	/* the master's setting */
	enum phase_conn	 reported;	/* the charger's own; 0: configured */
};

enum phasecheck_verdict {
	PHASECHECK_INCONCLUSIVE = 0,
	PHASECHECK_MATCH,
	PHASECHECK_MISMATCH,
};

enum phasecheck_why {
	PHASECHECK_OK = 0,
	PHASECHECK_NO_METER,	/* too few readings: offline or too old */
	PHASECHECK_NO_CHARGER,	/* too few readings of the connector */
	PHASECHECK_NO_DRAW,	/* the car drew nothing more */
	PHASECHECK_NOISE,	/* the building moved as much as the car */
	PHASECHECK_NOT_SEEN,	/* nothing rose: the clamps miss the car */
	PHASECHECK_UNEXPLAINED,	/* the rises fit no wiring of this car */
	/* the fall back to the minimum does not mirror the rise: the
	 * building's load stands elsewhere after the test than before */
	PHASECHECK_LOAD_CHANGED,
};

struct phasecheck_result {
	enum phasecheck_verdict verdict;
	enum phasecheck_why why;
	int		 nbefore, nduring, nafter;	/* usable readings */
	/* Per site phase: the rise at the test current against the mean
	 * of before and after (a steady drift of the building cancels),
	 * the fall from the test current back to the minimum, and the
	 * building's noise: the largest spread of a window or move of a
	 * gap's readings beyond what the car's own change explains. */
	int32_t		 rise_da[EVG_PHASES], fall_da[EVG_PHASES];
	int32_t		 spread_da[EVG_PHASES];
	/* Per conductor of the car: its change, the same way. */
	int32_t		 car_da[EVG_PHASES];
	/* Per site phase: after the test against before it, less the car's
	 * own change (load_changed when beyond the tolerance). */
	int32_t		 moved_da[EVG_PHASES];
	uint8_t		 car_lines;	/* conductors that draw (bit l) */
	uint8_t		 rose;		/* site phases that rose (bit p) */
	uint8_t		 fits;		/* wirings that fit (bit enum) */
	/* The wiring the readings fit: the configured one when it fits,
	 * else the only one that does; 0 when none (or several) do. */
	enum phase_conn	 fitted;
	/* The readings tell the fitted rotation from the others of its kind
	 * (a three-phase car drawing alike on its three conductors fits
	 * every rotation: only the wiring's kind shows). */
	bool		 rotation_shown;
	enum phase_conn	 configured, suggested;	/* suggested: 0 none */
};

/* The means of a window's usable readings: per site phase the clamps less
 * the other cars (net), per conductor the car (car). Returns how many of
 * the meter's readings were usable. */
int	 phasecheck_means(const struct phasecheck_sample *, size_t n,
	    enum phase_conn reported, int32_t net[EVG_PHASES],
	    int32_t car[EVG_PHASES]);
void	 phasecheck_decide(const struct phasecheck_in *,
	    struct phasecheck_result *);
const char *phasecheck_verdict_name(enum phasecheck_verdict);
/* The site phases (bit p) wiring pc puts the car's conductors (bit l)
 * on. */
uint8_t	 phasecheck_site_mask(enum phase_conn, uint8_t lines);
/* "L1, L2 and L3" for a mask of phases; "none" for 0. */
const char *phasecheck_phases_text(uint8_t mask, char *buf, size_t len);
/* The installer's sentence: "connector 1 of bay-003 draws on L2
 * (configured: L1); set its wiring to L2L3L1". */
const char *phasecheck_text(const struct phasecheck_result *,
	    const char *charger, int connector, char *buf, size_t len);

#endif
