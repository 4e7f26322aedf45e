// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Table inet ftp_alg from its one definition, deploy/ftp-alg.nft, embedded
 * at build time (embed.cmake) and loaded with libnftables, as "nft -f"
 * would load it.
 *
 * Why libnftables and not libnftnl like the rest of nft/: the table is
 * four sets and maps, three base chains and three rules with
 * concatenations, a dynset delete and a NAT map. Building each of them
 * by hand would be a second definition that must match the file and
 * would drift from it; parsing the file ourselves would mean writing an
 * nft parser. libnftables is the parser nft itself uses, so what the
 * daemon recreates is exactly what the administrator loads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "ftp-alg/ruleset.h"
#include "ftp_alg_nft_def.h"

const char *ruleset_definition(void)
{
	return ftp_alg_nft_definition;
}

/* The first line of libnftables' error text, for one log line. */
static void ruleset_first_line(const char *text, char *err, size_t errlen)
{
	size_t n;

	if (!err || !errlen)
		return;
	if (!text)
		text = "";
	n = strcspn(text, "\n");
	snprintf(err, errlen, "%.*s", (int)n, text);
}

int ruleset_load_definition(char *err, size_t errlen)
{
	struct nft_ctx *ctx;
	int ret;

	ruleset_first_line("", err, errlen);
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	/* both into buffers: a daemon's stdout and stderr are not for this */
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		nft_ctx_free(ctx);
		return -ENOMEM;
	}
	ret = nft_run_cmd_from_buffer(ctx, ruleset_definition());
	if (ret) {
		ruleset_first_line(nft_ctx_get_error_buffer(ctx), err,
				   errlen);
		ret = -EINVAL;
	}
	nft_ctx_free(ctx);
	return ret;
}
