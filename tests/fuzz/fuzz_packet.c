// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the packet view. Whatever parses must stay valid
 * through every setter, and checksums must stay correct if they were.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftp-alg/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[70000];
	uint32_t l, r;
	struct pkt p;
	uint8_t *copy;
	bool ok;

	if (size > 65535)
		return 0;
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (pkt_parse(&p, copy, size) != PKT_OK) {
		free(copy);
		return 0;
	}
	memcpy(buf, copy, p.len);
	free(copy);
	if (pkt_parse(&p, buf, p.len) != PKT_OK)
		abort();
	ok = pkt_csum_ok(&p);
	pkt_set_seq(&p, p.seq + 12345);
	pkt_set_ack(&p, p.ack - 777);
	if (p.nsack) {
		pkt_get_sack(&p, 0, &l, &r);
		pkt_set_sack(&p, 0, l + 3, r - 3);
	}
	if (pkt_set_payload(&p, sizeof(buf), (const uint8_t *)"PORT 1,2,3,4,5,6\r\n",
			    18) == 0 && ok && !pkt_csum_ok(&p))
		abort();
	return 0;
}
