/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TCP sequence-number arithmetic: comparisons modulo 2^32 (RFC 793). */
#ifndef FTP_ALG_SEQ_H
#define FTP_ALG_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_after(uint32_t a, uint32_t b)
{
	return seq_before(b, a);
}

#endif
