/*
 * regmap.h: the charger register map v2 (Modbus TCP), master <-> slave.
 * One table (regmap.c) drives encoding, decoding, write validation and the
 * reference in docs/protocol.md (printed by regmap-doc, checked by a test).
 * 16-bit registers; 32-bit values are two registers, high word first;
 * strings are two ASCII characters per register, first in the high byte.
 */
#ifndef EVG_REGMAP_H
#define EVG_REGMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGMAP_VERSION		2	/* 2: holding register 3, authorisation */
#define REGMAP_MAX_CONN		2
#define REGMAP_CONN_BASE	100	/* connector n at 100 * n */
#define REGMAP_UNIT_INPUTS	20	/* input registers 0..19 */
#define REGMAP_CONN_INPUTS	28	/* 100n+0 .. 100n+27 */
#define REGMAP_UNIT_HOLDINGS	4	/* holding registers 0..3 */
#define REGMAP_CONN_HOLDINGS	2	/* 100n+0 .. 100n+1 */
#define REGMAP_TAG_LEN		16

/* Modbus exception codes (Modbus Application Protocol v1.1b3, 7). */
#define MB_EXC_ILLEGAL_FUNCTION	0x01
#define MB_EXC_ILLEGAL_ADDRESS	0x02
#define MB_EXC_ILLEGAL_VALUE	0x03
#define MB_EXC_SLAVE_FAILURE	0x04	/* the command cannot act now */
#define MB_EXC_GATEWAY_TARGET	0x0B	/* not our unit id */

/* Fallback timeout range (s) and default, and the fallback current. */
#define REGMAP_FALLBACK_TIMEOUT_MIN	2
#define REGMAP_FALLBACK_TIMEOUT_MAX	600
#define REGMAP_FALLBACK_TIMEOUT_DEF	10

enum regmap_cmd {
	REGMAP_CMD_NONE = 0,
	REGMAP_CMD_AUTHORISE = 1,
	REGMAP_CMD_STOP = 2,
	REGMAP_CMD_LOCK = 3,
	REGMAP_CMD_UNLOCK = 4,
	REGMAP_CMD_RESET = 5,
};

/* Input registers of the unit block. */
struct reg_unit {
	uint16_t	map_version;
	uint16_t	connectors;
	uint16_t	firmware;	/* major * 256 + minor */
	uint16_t	status;		/* enum unit_status */
	uint32_t	uptime_s;
	uint16_t	heartbeat_seen;
	int16_t		temp_ddeg;
	uint16_t	ln_dv[3];
	uint16_t	hw_max_da;
	char		serial[REGMAP_TAG_LEN + 1];
};

/* Input registers of a connector block. */
struct reg_conn {
	uint16_t	cp_state;
	uint16_t	state;
	uint16_t	faults;
	uint16_t	offer_da;
	uint16_t	duty_pm;
	uint16_t	current_da[3];
	uint32_t	session_wh;
	uint32_t	total_wh;
	uint32_t	session_s;
	uint16_t	session_no;
	uint16_t	phase;
	uint16_t	max_da;
	uint16_t	contactor;
	uint16_t	led;
	uint16_t	setpoint_da;
	char		tag[REGMAP_TAG_LEN + 1];
};

struct reg_unit_hold {
	uint16_t	heartbeat;
	uint16_t	fallback_da;
	uint16_t	fallback_s;
	uint16_t	authorisation;	/* 0 free, 1 remote */
};

struct reg_conn_hold {
	uint16_t	setpoint_da;
	uint16_t	command;
};

enum reg_space { REG_INPUT, REG_HOLDING };
enum reg_block { REG_UNIT, REG_CONN };
enum reg_type { RT_U16, RT_S16, RT_U32, RT_STR };

struct reg_def {
	enum reg_space	 space;
	enum reg_block	 block;
	uint16_t	 offset;	/* within the block */
	enum reg_type	 type;
	uint8_t		 width;		/* registers */
	size_t		 field;		/* offsetof in the block's struct */
	const char	*name;
	const char	*unit;
	/* holding registers: accepted values */
	bool		 zero_ok;	/* 0 is accepted besides [min, max] */
	uint16_t	 min, max;
	const char	*desc;
};

extern const struct reg_def regmap[];

void	regmap_encode_unit(const struct reg_unit *, uint16_t *regs);
void	regmap_decode_unit(const uint16_t *regs, struct reg_unit *);
void	regmap_encode_conn(const struct reg_conn *, uint16_t *regs);
void	regmap_decode_conn(const uint16_t *regs, struct reg_conn *);
void	regmap_encode_unit_hold(const struct reg_unit_hold *, uint16_t *);
void	regmap_decode_unit_hold(const uint16_t *, struct reg_unit_hold *);
void	regmap_encode_conn_hold(const struct reg_conn_hold *, uint16_t *);
void	regmap_decode_conn_hold(const uint16_t *, struct reg_conn_hold *);

int	regmap_check_read(enum reg_space, unsigned addr, unsigned count,
	    int nconn);
int	regmap_check_write(unsigned addr, unsigned count, const uint16_t *vals,
	    int nconn, const uint16_t conn_max_da[]);
void	regmap_print_markdown(void *fp);

#endif
