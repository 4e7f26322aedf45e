/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CRC-32 (IEEE 802.3, reflected polynomial 0xedb88320, initial value and
 * final xor 0xffffffff: the zlib/Ethernet one, "123456789" -> 0xcbf43926),
 * as the journal frames its records (docs/state-format.md).
 */
#ifndef FTP_ALG_CRC32_H
#define FTP_ALG_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Eight bytes a step (slicing-by-8); any length, any alignment. */
uint32_t crc32_ieee(const void *p, size_t n);
/* One byte a step: the reference crc32_ieee() is tested against. */
uint32_t crc32_ieee_bytewise(const void *p, size_t n);

#endif
