// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The journal's record codec without a file: each record type round
 * trips; a record cut anywhere, or with any byte flipped, is refused and
 * stops the replay there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "journal.h"
#include "testutil.h"

static uint8_t buf[4096];

static struct journal_pin sample_pin(void)
{
	struct journal_pin p = { .sid = 0x0001000000000007ull,
				 .added_ms = 123456789 };

	p.e.family = AF_INET;
	tu_addr(AF_INET, "203.0.113.10", &p.e.peer);
	p.e.wire.family = p.e.target.family = AF_INET;
	tu_addr(AF_INET, "203.0.113.1", &p.e.wire.addr);
	tu_addr(AF_INET, "10.0.1.2", &p.e.target.addr);
	p.e.wire.port = p.e.target.port = 40001;
	p.e.timeout_ms = 60000;
	return p;
}

static void test_each_record_type_round_trips(void **state)
{
	struct journal_pin pin = sample_pin();
	struct journal_rec r;
	size_t n = 0, off = 0;

	n += journal_encode_header(buf + n);
	n += journal_encode_end(buf + n, 42);
	n += journal_encode_pin(buf + n, JR_PIN, &pin);
	n += journal_encode_pin(buf + n, JR_UNPIN, &pin);

	assert_int_equal(journal_decode(buf, n, &off, &r), 1);
	assert_int_equal(r.type, JR_HEADER);
	assert_int_equal(journal_decode(buf, n, &off, &r), 1);
	assert_int_equal(r.type, JR_END);
	assert_int_equal(r.sid, 42);
	assert_int_equal(journal_decode(buf, n, &off, &r), 1);
	assert_int_equal(r.type, JR_PIN);
	assert_int_equal(r.pin.sid, pin.sid);
	assert_int_equal(r.pin.added_ms, pin.added_ms);
	assert_memory_equal(&r.pin.e, &pin.e, sizeof(pin.e));
	assert_int_equal(journal_decode(buf, n, &off, &r), 1);
	assert_int_equal(r.type, JR_UNPIN);
	assert_int_equal(journal_decode(buf, n, &off, &r), 0);
	assert_int_equal(off, n);
}

/* A pinhole with a source mapping keeps it across a restart. */
static void test_pin_with_source_mapping_round_trips(void **state)
{
	struct journal_pin pin = sample_pin();
	struct journal_rec r;
	size_t n, off = 0;

	/* 10.0.2.2 in a DMZ, forwarded from 203.0.113.5 */
	tu_addr(AF_INET, "10.0.2.2", &pin.e.peer);
	tu_addr(AF_INET, "203.0.113.5", &pin.e.peer_pub);
	n = journal_encode_pin(buf, JR_PIN, &pin);
	assert_int_equal(journal_decode(buf, n, &off, &r), 1);
	assert_memory_equal(&r.pin.e, &pin.e, sizeof(pin.e));
	assert_true(pin_needs_snat(&r.pin.e));
}

/*
 * A journal written before snat4: its pinhole records are 16 bytes
 * shorter (no peer_pub). They still load, as pinholes without a source
 * mapping, so a restart after an upgrade removes what the old daemon
 * added and nothing else.
 */
static void test_pin_record_without_peer_pub_still_loads(void **state)
{
	struct journal_pin pin = sample_pin(), old = sample_pin();
	uint8_t payload[512];
	struct journal_rec r;
	size_t n, off = 0;

	tu_addr(AF_INET, "203.0.113.5", &pin.e.peer_pub);
	n = journal_encode_pin(buf, JR_PIN, &pin);
	/* the payload as the old daemon wrote it: peer_pub cut off */
	memcpy(payload, buf + JOURNAL_HEAD, n - JOURNAL_HDR - 16);
	n = journal_frame(buf, JR_PIN, payload, n - JOURNAL_HDR - 16);
	assert_int_equal(journal_decode(buf, n, &off, &r), 1);
	assert_int_equal(r.type, JR_PIN);
	assert_int_equal(r.pin.sid, old.sid);
	assert_int_equal(r.pin.added_ms, old.added_ms);
	assert_memory_equal(&r.pin.e, &old.e, sizeof(old.e));
	assert_false(pin_needs_snat(&r.pin.e));
	/* any other length is refused */
	n = journal_frame(buf, JR_PIN, payload, 70);
	off = 0;
	assert_int_equal(journal_decode(buf, n, &off, &r), -EINVAL);
}

/* A crash in the middle of a write leaves a torn tail: found, not read. */
static void test_torn_record_is_refused_at_every_cut(void **state)
{
	struct journal_pin pin = sample_pin();
	struct journal_rec r;
	size_t h, n, k, off;

	h = journal_encode_end(buf, 7);
	n = h + journal_encode_pin(buf + h, JR_PIN, &pin);
	for (k = h + 1; k < n; k++) {
		off = 0;
		assert_int_equal(journal_decode(buf, k, &off, &r), 1);
		if (journal_decode(buf, k, &off, &r) != -EINVAL)
			fail_msg("a record cut at %zu of %zu was read", k, n);
		assert_int_equal(off, h);	/* stays before the torn one */
	}
}

static void test_any_flipped_byte_is_found(void **state)
{
	struct journal_pin pin = sample_pin();
	struct journal_rec r;
	size_t n, k, off;

	n = journal_encode_pin(buf, JR_PIN, &pin);
	for (k = 0; k < n; k++) {
		buf[k] ^= 0x20;
		off = 0;
		if (journal_decode(buf, n, &off, &r) == 1)
			fail_msg("byte %zu flipped, the record was read", k);
		buf[k] ^= 0x20;
	}
	off = 0;
	assert_int_equal(journal_decode(buf, n, &off, &r), 1);
}

static void test_bad_pins_and_unknown_types_are_refused(void **state)
{
	struct journal_pin pin = sample_pin();
	struct journal_rec r;
	uint8_t raw[8] = { 0 };
	size_t n, off = 0;

	pin.e.target.port = 0;
	n = journal_encode_pin(buf, JR_PIN, &pin);
	assert_int_equal(journal_decode(buf, n, &off, &r), -EINVAL);
	pin = sample_pin();
	pin.e.family = 7;
	n = journal_encode_pin(buf, JR_PIN, &pin);
	off = 0;
	assert_int_equal(journal_decode(buf, n, &off, &r), -EINVAL);
	n = journal_frame(buf, (enum journal_type)99, raw, sizeof(raw));
	off = 0;
	assert_int_equal(journal_decode(buf, n, &off, &r), -EINVAL);
	/* a session record must carry a state record */
	n = journal_frame(buf, JR_SESSION, raw, sizeof(raw));
	off = 0;
	assert_int_equal(journal_decode(buf, n, &off, &r), -EINVAL);
}

static void test_header_of_another_version_is_refused(void **state)
{
	struct journal_rec r;
	size_t n, off = 0;

	n = journal_encode_header(buf);
	buf[JOURNAL_HEAD + 15] = JOURNAL_VERSION + 1;
	/* the CRC is fine: frame it again over the changed payload */
	n = journal_frame(buf, JR_HEADER, buf + JOURNAL_HEAD, n - JOURNAL_HDR);
	assert_int_equal(journal_decode(buf, n, &off, &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_record_type_round_trips),
		cmocka_unit_test(test_pin_with_source_mapping_round_trips),
		cmocka_unit_test(test_pin_record_without_peer_pub_still_loads),
		cmocka_unit_test(test_torn_record_is_refused_at_every_cut),
		cmocka_unit_test(test_any_flipped_byte_is_found),
		cmocka_unit_test(test_bad_pins_and_unknown_types_are_refused),
		cmocka_unit_test(test_header_of_another_version_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
