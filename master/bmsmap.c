/*
 * bmsmap.c: the building management register map, one table for the
 * code and for docs/bms.md. Currents are 0.1 A (signed where a meter can
 * read export), 32-bit values take two registers, the high word first.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "bmsmap.h"
#include "extlimit.h"

enum bms_field {
	F_VERSION, F_NCONN, F_METER, F_EXT_ON, F_EXT_LEFT,
	F_MEASURED, F_BUILDING, F_AVAILABLE, F_LIMIT, F_POWER, F_ENERGY,
	F_CHARGING, F_PAUSED, F_FAULTED,
	C_CHARGER, C_CONNECTOR, C_STATE, C_OFFER, C_DRAW, C_ENERGY, C_FAULTS,
	H_LIMIT, H_VALID, H_PAUSE,
};

struct bms_reg {
	int		 holding;	/* 0 input, 1 holding */
	unsigned	 addr;		/* a connector's: from its base */
	int		 words;		/* 1, 2 (32-bit), 3 (per phase) */
	enum bms_field	 f;
	const char	*name, *unit, *text;
};

/* The map. Changing an address or a meaning bumps BMS_MAP_VERSION. */
static const struct bms_reg bms_regs[] = {
	{ 0, 0, 1, F_VERSION, "map_version", "", "this map's version "
	    "(1); a BMS checks it before trusting the rest" },
	{ 0, 1, 1, F_NCONN, "connectors", "", "connectors in the map (the "
	    "blocks from 100)" },
	{ 0, 2, 1, F_METER, "meter_online", "0/1", "the supply's meter "
	    "reads (1), or is silent or absent (0)" },
	{ 0, 3, 1, F_EXT_ON, "external_limit_on", "0/1", "an external "
	    "limit is in force (this map's or the JSON API's)" },
	{ 0, 4, 1, F_EXT_LEFT, "external_limit_left", "s", "its validity "
	    "left; 0: none" },
	{ 0, 10, 3, F_MEASURED, "measured_L1..L3", "0.1 A, signed",
	    "what the supply's meter measures (negative: export)" },
	{ 0, 13, 3, F_BUILDING, "building_L1..L3", "0.1 A, signed",
	    "the building's own load (measured less the cars)" },
	{ 0, 16, 3, F_AVAILABLE, "available_L1..L3", "0.1 A",
	    "what the cars may have in all" },
	{ 0, 19, 3, F_LIMIT, "limit_L1..L3", "0.1 A", "the limit in force "
	    "at the supply (after an external limit)" },
	{ 0, 22, 2, F_POWER, "ev_power", "W, 32-bit", "the cars' power "
	    "(their current at 230 V)" },
	{ 0, 24, 2, F_ENERGY, "ev_energy", "Wh, 32-bit", "the energy of "
	    "the sessions in progress" },
	{ 0, 26, 1, F_CHARGING, "charging", "", "connectors charging" },
	{ 0, 27, 1, F_PAUSED, "paused", "", "connectors paused by an "
	    "operator or this map" },
	{ 0, 28, 1, F_FAULTED, "faulted", "", "connectors in fault" },
	{ 0, 0, 1, C_CHARGER, "charger_id", "", "the charger's id (as "
	    "the API's)" },
	{ 0, 1, 1, C_CONNECTOR, "connector", "", "its connector, 1 or 2" },
	{ 0, 2, 1, C_STATE, "state", "code", "0 available, 1 waiting for "
	    "authorisation, 2 authorised waiting for the car, 3 charging, 4 "
	    "waiting for current, 5 suspended by the car, 6 fault, 7 locked, "
	    "8 charger offline" },
	{ 0, 3, 1, C_OFFER, "offer", "0.1 A", "the current offered to "
	    "the car" },
	{ 0, 4, 3, C_DRAW, "draw_L1..L3", "0.1 A", "what the car draws on "
	    "each phase of the supply" },
	{ 0, 7, 2, C_ENERGY, "session_energy", "Wh, 32-bit", "the session "
	    "in progress (or the last)" },
	{ 0, 9, 1, C_FAULTS, "faults", "bits", "the charger's fault bits "
	    "(docs/protocol.md)" },
	{ 1, 0, 3, H_LIMIT, "external_limit_L1..L3", "0.1 A", "an external "
	    "limit at the supply, 0-6553.5 A; it only lowers the configured "
	    "one. Reads back the limit in force, 0 when none" },
	{ 1, 3, 1, H_VALID, "external_limit_valid", "s", "10-65535: sets "
	    "the limit for that long (write it with the three limits in one "
	    "request); 0 alone: ends it. Reads back the time left" },
	{ 1, 4, 1, H_PAUSE, "pause_all", "0/1", "1 pauses every connector "
	    "(as an operator's pause, by \"bms\"); 0 resumes those this map "
	    "paused. Reads 1 while any is paused by \"bms\"" },
};
#define NREGS	(sizeof(bms_regs) / sizeof(bms_regs[0]))

static void
put32(uint16_t *w, uint32_t v)
{
	w[0] = (uint16_t)(v >> 16);
	w[1] = (uint16_t)v;
}

/* One register's words (up to 3) from the view; k: the connector. */
static void
encode(const struct bms_reg *r, const struct bms_view *v, size_t k,
    uint16_t w[3])
{
	const struct bms_conn *c = k < v->n ? &v->conns[k] : NULL;
	const int32_t *ph = NULL;
	uint64_t sum = 0;
	unsigned n = 0;
	bool	 by_bms = false;

	memset(w, 0, 3 * sizeof(*w));
	switch (r->f) {
	case F_VERSION:	w[0] = BMS_MAP_VERSION; break;
	case F_NCONN:	w[0] = (uint16_t)v->n; break;
	case F_METER:	w[0] = v->meter_online; break;
	case F_EXT_ON:	w[0] = v->ext_on; break;
	case F_EXT_LEFT:
	case H_VALID:
		w[0] = (uint16_t)(v->ext_left_s > 65535 ? 65535 :
		    v->ext_on ? v->ext_left_s : 0);
		break;
	case F_MEASURED:	ph = v->measured; break;
	case F_BUILDING:	ph = v->building; break;
	case F_AVAILABLE:	ph = v->available; break;
	case F_LIMIT:		ph = v->limit; break;
	case H_LIMIT:
		if (v->ext_on)
			ph = v->ext_limit;
		break;
	case F_POWER:
		for (int p = 0; p < EVG_PHASES; p++)
			sum += (uint64_t)(v->ev[p] > 0 ? v->ev[p] : 0);
		put32(w, (uint32_t)(sum * 230 / 10));
		break;
	case F_ENERGY:
		for (size_t i = 0; i < v->n; i++)
			if (v->conns[i].state == 3)	/* CS_CHARGING */
				sum += v->conns[i].session_wh;
		put32(w, (uint32_t)sum);
		break;
	case F_CHARGING:
	case F_PAUSED:
	case F_FAULTED:
	case H_PAUSE:
		for (size_t i = 0; i < v->n; i++) {
			const struct bms_conn *x = &v->conns[i];

			n += r->f == F_CHARGING ? x->state == 3 :
			    r->f == F_FAULTED ? x->state == 6 : x->paused;
			by_bms |= x->paused &&
			    strcmp(x->paused_by, "bms") == 0;
		}
		w[0] = (uint16_t)(r->f == H_PAUSE ? by_bms : n);
		break;
	case C_CHARGER:		w[0] = c->charger_id; break;
	case C_CONNECTOR:	w[0] = c->connector; break;
	case C_STATE:		w[0] = c->state; break;
	case C_OFFER:		w[0] = (uint16_t)c->offer; break;
	case C_DRAW:		ph = c->draw; break;
	case C_ENERGY:		put32(w, c->session_wh); break;
	case C_FAULTS:		w[0] = c->faults; break;
	}
	if (ph != NULL)
		for (int p = 0; p < EVG_PHASES; p++)
			w[p] = (uint16_t)(int16_t)ph[p];
}

/* The words of one table from addr; a gap in the map reads 0. */
static int
read_table(const struct bms_view *v, int holding, unsigned addr,
    unsigned count, uint16_t *out)
{
	unsigned end = holding ? BMS_HR_COUNT : BMS_CONN_BASE +
	    BMS_CONN_SPAN * (unsigned)v->n;

	if (count == 0 || addr + count > end)
		return BMS_EXC_ADDRESS;
	memset(out, 0, count * sizeof(*out));
	for (size_t i = 0; i < NREGS; i++) {
		const struct bms_reg *r = &bms_regs[i];
		bool	 conn = r->f >= C_CHARGER && r->f <= C_FAULTS;
		size_t	 last = conn ? v->n : 1;	/* connectors, or once */
		uint16_t w[3];

		if (r->holding != holding)
			continue;
		for (size_t k = 0; k < last; k++) {
			unsigned a = r->addr + (conn ? BMS_CONN_BASE +
			    BMS_CONN_SPAN * (unsigned)k : 0);

			if (a + (unsigned)r->words <= addr || a >= addr + count)
				continue;
			encode(r, v, k, w);
			for (int j = 0; j < r->words; j++)
				if (a + (unsigned)j >= addr &&
				    a + (unsigned)j < addr + count)
					out[a + (unsigned)j - addr] = w[j];
		}
	}
	return 0;
}

int
bmsmap_inputs(const struct bms_view *v, unsigned addr, unsigned count,
    uint16_t *out)
{
	return read_table(v, 0, addr, count, out);
}

int
bmsmap_holdings(const struct bms_view *v, unsigned addr, unsigned count,
    uint16_t *out)
{
	return read_table(v, 1, addr, count, out);
}

int
bmsmap_write(unsigned addr, unsigned count, const uint16_t *vals,
    struct bms_write *w)
{
	unsigned end = addr + count;

	memset(w, 0, sizeof(*w));
	if (count == 0 || end > BMS_HR_COUNT)
		return BMS_EXC_ADDRESS;
	if (addr == BMS_HR_PAUSE) {
		if (vals[0] > 1)
			return BMS_EXC_VALUE;
		w->op = vals[0] ? BMS_W_PAUSE : BMS_W_RESUME;
		return 0;
	}
	if (end == BMS_HR_PAUSE + 1)
		return BMS_EXC_VALUE;	/* the pause goes alone */
	if (addr == BMS_HR_VALID && count == 1) {
		if (vals[0] != 0)
			return BMS_EXC_VALUE;	/* a limit needs its figures */
		w->op = BMS_W_CLEAR;
		return 0;
	}
	if (addr != BMS_HR_LIMIT || count != BMS_HR_VALID + 1)
		return BMS_EXC_VALUE;	/* the three and the validity */
	/* every 16-bit figure is within the API's 0-10000 A */
	for (int p = 0; p < EVG_PHASES; p++)
		w->limit_da[p] = vals[p];
	if (vals[BMS_HR_VALID] == 0) {
		w->op = BMS_W_CLEAR;
		return 0;
	}
	if (vals[BMS_HR_VALID] < EXTLIMIT_VALID_MIN_S)
		return BMS_EXC_VALUE;
	w->valid_s = vals[BMS_HR_VALID];
	w->op = BMS_W_LIMIT;
	return 0;
}

int
bms_writers_parse(const char *list, uint32_t addr[BMS_MAX_WRITERS],
    uint32_t mask[BMS_MAX_WRITERS])
{
	char	 item[24], *slash, *end;
	struct in_addr a;
	size_t	 len;
	long	 bits;
	int	 n = 0;

	for (const char *p = list; *p != '\0'; p += len) {
		if (*p == ',' || *p == ' ') {
			len = 1;
			continue;
		}
		len = strcspn(p, ", ");
		if (len >= sizeof(item) || n == BMS_MAX_WRITERS)
			return -1;
		memcpy(item, p, len);
		item[len] = '\0';
		bits = 32;
		if ((slash = strchr(item, '/')) != NULL) {
			*slash = '\0';
			bits = strtol(slash + 1, &end, 10);
			if (slash[1] == '\0' || *end != '\0' || bits < 0 ||
			    bits > 32)
				return -1;
		}
		if (inet_pton(AF_INET, item, &a) != 1)
			return -1;
		mask[n] = htonl(bits == 0 ? 0 : 0xffffffffu << (32 - bits));
		addr[n] = a.s_addr & mask[n];
		n++;
	}
	return n;
}

void
bmsmap_print_markdown(FILE *fp)
{
	static const char *const title[] = {
	    ("Input registers (function 04), the site:"),
	    ("Input registers, each connector's block: at 100 + 10 x its "
	    "place (0, 1, ...) in the status's list of connectors; the "
	    "offsets from there:"),
	    ("Holding registers (function 03 reads them back; 06 and 16 "
	    "write):"),
	};

	for (int t = 0; t < 3; t++) {
		fprintf(fp, "%s\n\n| register | name | unit | meaning |\n"
		    "|---|---|---|---|\n", title[t]);
		for (size_t i = 0; i < NREGS; i++) {
			const struct bms_reg *r = &bms_regs[i];
			bool	 conn = r->f >= C_CHARGER && r->f <= C_FAULTS;

			if (r->holding ? t != 2 : t != (conn ? 1 : 0))
				continue;
			if (r->words == 1)
				fprintf(fp, "| %s%u |", conn ? "+" : "",
				    r->addr);
			else
				fprintf(fp, "| %s%u-%s%u |", conn ? "+" : "",
				    r->addr, conn ? "+" : "",
				    r->addr + (unsigned)r->words - 1);
			fprintf(fp, " %s | %s | %s |\n", r->name,
			    r->unit[0] != '\0' ? r->unit : "-", r->text);
		}
		fprintf(fp, "\n");
	}
}
