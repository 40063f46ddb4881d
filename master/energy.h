/*
 * energy.h: energy and sessions per local day or month (energy.c), for
 * the history per connector and per RFID tag. Pure: no clock, no
 * database; local time is the process's time zone (TZ, /etc/localtime).
 */
#ifndef EVG_ENERGY_H
#define EVG_ENERGY_H

#include <stdbool.h>
#include <stdint.h>

#define ENERGY_MAX_PERIODS	1000	/* about 2.7 years of days */

enum energy_group { ENERGY_DAY, ENERGY_MONTH };

/* One local day or month: [start_ms, end_ms), "YYYY-MM-DD" or "YYYY-MM". */
struct energy_period {
	int64_t		 start_ms, end_ms;
	char		 label[16];
};

/* A session as the records keep it; one in progress has no end yet, and
 * its energy so far is that of its last save (updated_ms, each minute). */
struct energy_row {
	bool		 in_progress;
	int64_t		 end_ms, updated_ms;
	int64_t		 energy_wh;
};

struct energy_cell {
	int64_t		 energy_wh;
	int		 sessions;
	int		 period;	/* in a table: its period and series */
	int		 series;
};

/*
 * Sessions summed per series (a connector, a tag, or "" for the site)
 * and period, in any order of rows: the cells that hold a session only,
 * at most one per row. The caller owns the table and frees it.
 */
struct energy_table {
	const struct energy_period *per;
	int		 nper;
	char		**key;		/* series, in order of first sight */
	int		 nkey, keycap;
	int		*keyslot;	/* open addressing: series + 1 */
	struct energy_cell *cell;
	int		 ncell, cellcap;
	int		*cellslot;	/* open addressing: cell + 1 */
};

int	 energy_group_parse(const char *, enum energy_group *);
int	 energy_period_of(int64_t ms, enum energy_group,
	    struct energy_period *);
int	 energy_periods(int64_t from_ms, int64_t to_ms, enum energy_group,
	    struct energy_period *, int max);
int64_t	 energy_when(const struct energy_row *);
int	 energy_find(const struct energy_period *, int n, int64_t ms);
int	 energy_add(const struct energy_period *, int n,
	    struct energy_cell *cells, const struct energy_row *);
void	 energy_table_init(struct energy_table *,
	    const struct energy_period *, int n);
int	 energy_table_add(struct energy_table *, const char *key,
	    const struct energy_row *);
void	 energy_table_sort(struct energy_table *);
void	 energy_table_free(struct energy_table *);

#endif
