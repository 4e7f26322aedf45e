/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internet checksum helpers (RFC 1071 sums, RFC 1624 incremental updates).
 * Sums are carried as 32-bit accumulators and folded at the end; a "csum"
 * field value is the folded, complemented 16-bit result in network order.
 */
#ifndef FTP_ALG_CSUM_H
#define FTP_ALG_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* One's complement sum of buf (big-endian 16-bit words) added to sum. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
/* Fold to 16 bits and complement: the value to store in a header. */
uint16_t csum_fold(uint32_t sum);

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). All values are in network order
 * as read straight from the packet (memcpy), which keeps callers free of
 * byte swapping.
 */
uint16_t csum_replace2(uint16_t check, uint16_t old, uint16_t new);
uint16_t csum_replace4(uint16_t check, uint32_t old, uint32_t new);
/* Remove sum 'old' and add sum 'new' (both unfolded partial sums). */
uint16_t csum_replace_sum(uint16_t check, uint32_t old, uint32_t new);

#endif
