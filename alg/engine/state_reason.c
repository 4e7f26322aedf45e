/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A reason as the state record carries it. The numbers were fixed by
 * version 1 of the format (the order enum alg_reason had when it was
 * first written: 0..29); reasons added since take the next free numbers.
 * enum alg_reason may be reordered or grouped anew: these numbers may
 * not change, or journals written before would be read wrong.
 */
#include "ftp-alg/state.h"
#include "engine_int.h"

static const uint8_t reason_wire[ALG_R_MAX] = {
	[ALG_R_NONE] = 0,
	[ALG_R_OPEN_SYN] = 1,
	[ALG_R_OPEN_MIDSTREAM] = 2,
	[ALG_R_MALFORMED] = 3,
	[ALG_R_BOUNCE] = 4,
	[ALG_R_LOW_PORT] = 5,
	[ALG_R_FAMILY] = 6,
	[ALG_R_UNPAIRED] = 7,
	[ALG_R_FORMAT] = 8,
	[ALG_R_SPLIT_UNUSUAL] = 9,
	[ALG_R_SPLIT_NOROOM] = 10,
	[ALG_R_TOO_MANY_REWRITES] = 11,
	[ALG_R_NOMEM] = 12,
	[ALG_R_OVERLAP] = 13,
	[ALG_R_HOLD_SEGMENTS] = 14,
	[ALG_R_HOLD_TIMEOUT] = 15,
	[ALG_R_TABLE_FULL] = 16,
	[ALG_R_CLIENT_LIMIT] = 30,
	[ALG_R_TABLE_RESERVE] = 31,
	[ALG_R_UNSYNCED] = 32,
	[ALG_R_BARE_LF] = 33,
	[ALG_R_PORT_REJECTED] = 34,
	[ALG_R_RETRANS_MISMATCH] = 35,
	[ALG_R_RESET_SENT] = 36,
	[ALG_R_LINE_NUL] = 17,
	[ALG_R_LINE_LONG] = 18,
	[ALG_R_AUTH_TLS] = 19,
	[ALG_R_FOREIGN_ADDR] = 20,
	[ALG_R_PIN_REPLACED] = 37,
	[ALG_R_RST_WINDOW] = 38,
	[ALG_R_REWRITE_LINE] = 21,
	[ALG_R_REWRITE_SPLIT] = 22,
	[ALG_R_DATA_PORT] = 23,
	[ALG_R_SEQ_SHIFT] = 24,
	[ALG_R_CLOSE_RST] = 25,
	[ALG_R_CLOSE_FIN] = 26,
	[ALG_R_CLOSE_IDLE] = 27,
	[ALG_R_CLOSE_CONNTRACK] = 28,
	[ALG_R_CLOSE_SHUTDOWN] = 29,
	[ALG_R_CLOSE_HALF_OPEN] = 39,
	[ALG_R_LINE_SEEN] = 40,
	[ALG_R_TLS_CLEAR] = 41,
	[ALG_R_TLS_GARBAGE] = 42,
	[ALG_R_TLS_UNFOLLOWED] = 43,
	[ALG_R_IDLE_CHECK] = 44,
};

unsigned alg_reason_to_wire(enum alg_reason r)
{
	return (unsigned)r < ALG_R_MAX ? reason_wire[r] : 0;
}

int alg_reason_from_wire(unsigned w, enum alg_reason *r)
{
	unsigned i;

	for (i = 0; i < ALG_R_MAX; i++)
		if (reason_wire[i] == w) {
			*r = (enum alg_reason)i;
			return 0;
		}
	return -1;
}
