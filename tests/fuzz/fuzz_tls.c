// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the TLS record walker (alg/engine/tls.c).
 *
 * Input: one flag byte (bit 0: the client's direction; bits 1..7: a
 * segment size - 1), then the bytes of one direction from its first
 * encrypted byte. The stream is walked whole, and again cut into
 * segments of that size, and:
 *  (a) both walks end alike: the same result, at the same offset, after
 *      the same number of records;
 *  (b) the offset is within the input, and all of it for MORE;
 *  (c) the bytes before a CLEAR are whole records, each with a valid
 *      header, and the byte at the offset is FTP text of that direction
 *      (re-parsed here the simple way, record by record);
 *  (d) before MORE, every complete header seen is valid.
 * Any disagreement is written to stderr and aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fail(const char *what, size_t at)
{
	fprintf(stderr, "fuzz_tls: %s (offset %zu)\n", what, at);
	abort();
}

static bool header_ok(const uint8_t *h)
{
	return h[0] >= 20 && h[0] <= 24 && h[1] == 3 && h[2] <= 4 &&
	       (h[3] << 8 | h[4]) <= 16384 + 2048;
}

static bool text_ok(bool client, uint8_t c)
{
	if (client)
		return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
	return c >= '1' && c <= '5';
}

/* (c), (d): the prefix p[0..used) walked the plain way. */
static void oracle(bool client, const uint8_t *p, size_t n, size_t used,
		   enum tls_walk_res res, uint32_t records)
{
	size_t pos = 0;
	uint32_t recs = 0;

	while (pos + 5 <= used) {
		if (!header_ok(p + pos))
			fail("an invalid header was walked", pos);
		recs++;
		pos += 5 + (size_t)(p[pos + 3] << 8 | p[pos + 4]);
	}
	if (recs != records)
		fail("record count differs from the plain walk", used);
	if (res == TLS_WALK_CLEAR) {
		if (pos != used || used >= n || !text_ok(client, p[used]))
			fail("CLEAR not at a record boundary before text",
			     used);
	}
	if (res == TLS_WALK_MORE && used != n)
		fail("MORE without consuming everything", used);
	if (used > n)
		fail("offset past the input", used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_walk whole = { 0 }, cut = { 0 };
	enum tls_walk_res rw, rc = TLS_WALK_MORE;
	size_t uw, uc = 0, seg;
	const uint8_t *p;
	bool client;
	size_t n;

	if (size < 1)
		return 0;
	client = data[0] & 1;
	seg = (size_t)(data[0] >> 1) + 1;
	p = data + 1;
	n = size - 1;

	uw = tls_walk(&whole, client, p, n, &rw);
	oracle(client, p, n, uw, rw, whole.records);

	while (uc < n) {
		size_t k = n - uc < seg ? n - uc : seg;
		size_t u = tls_walk(&cut, client, p + uc, k, &rc);

		if (u > k)
			fail("a segment walk past its segment", uc);
		uc += u;
		if (rc != TLS_WALK_MORE)
			break;
	}
	if (rc != rw || uc != uw || cut.records != whole.records)
		fail("segmented walk disagrees with the whole walk", uc);
	return 0;
}
