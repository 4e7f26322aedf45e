// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the FTP grammar. A line that parses with an endpoint
 * must format back and parse again to the same endpoint.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftp-alg/ftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const char *line, size_t len, bool reply)
{
	char field[FTP_FIELD_MAX + 1], re[700];
	struct ftp_msg m, m2;
	const char *why;
	size_t tail;
	int n;

	if ((reply ? ftp_parse_reply(line, len, &m, &why) :
		     ftp_parse_command(line, len, &m, &why)) < 0 || !m.has_ep)
		return;
	if (m.field_off + m.field_len > len)
		abort();
	n = ftp_format_field(&m, &m.ep, field, sizeof(field));
	if (n < 0)
		return;
	tail = len - m.field_off - m.field_len;
	memcpy(re, line, m.field_off);
	memcpy(re + m.field_off, field, n);
	memcpy(re + m.field_off + n, line + m.field_off + m.field_len, tail);
	if ((reply ? ftp_parse_reply(re, m.field_off + n + tail, &m2, &why) :
		     ftp_parse_command(re, m.field_off + n + tail, &m2,
				       &why)) < 0)
		abort();
	if (m2.ep.port != m.ep.port || m2.ep.family != m.ep.family ||
	    memcmp(&m2.ep.addr, &m.ep.addr, sizeof(m.ep.addr)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line;

	if (size > 600)
		return 0;
	/* exactly sized heap copy: ASan sees any read past the end */
	line = malloc(size ? size : 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	roundtrip(line, size, false);
	roundtrip(line, size, true);
	free(line);
	return 0;
}
