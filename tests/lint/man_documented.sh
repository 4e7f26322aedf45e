#!/usr/bin/env bash
# Every configuration key (config.c's key table), every ctl command
# (ctl_cmds.c's command table) and every ftp-algd and ftp-algctl flag
# (their getopt tables) is documented in the man pages: a key as a
# ".BR key" item of ftp-algd.conf(5), a command as a ".B command" item of
# ftp-algctl(8), a flag as "\-\-flag" in its page. The lists are read
# from the code, so a key or command added later fails here until it
# is documented. The pages must also render without warnings.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
man=$top/deploy/man
fail=0

miss() {
	echo "not documented: $*" >&2
	fail=1
}

# KEY(CONFIG_K_QUEUE, queue), -> queue
keys=$(sed -n 's/^[[:space:]]*KEY(CONFIG_K_[A-Z0-9_]*,[[:space:]]*\([a-z0-9_]*\)).*/\1/p' \
	"$top/alg/daemon/config.c")
# the entries of "... ctl_cmds[] = { ... };": { "status", ... }
cmds=$(awk '/ctl_cmds\[\][[:space:]]*=/ { on = 1 }
	on && /^};/ { on = 0 }
	on' "$top/alg/daemon/ctl_cmds.c" |
	sed -n 's/^[[:space:]]*{[[:space:]]*"\([a-z0-9_-]*\)".*/\1/p')
# getopt tables: { "config", required_argument, ... }
flags_of() {
	awk '/struct option/ { on = 1 } on && /};/ { on = 0 } on' "$1" |
		sed -n 's/^[[:space:]]*{[[:space:]]*"\([a-z0-9-]*\)".*/\1/p'
}

[ -n "$keys" ] || { echo "no keys found in config.c" >&2; exit 1; }
[ -n "$cmds" ] || { echo "no commands found in ctl_cmds.c" >&2; exit 1; }

nkeys=0
for k in $keys; do
	nkeys=$((nkeys + 1))
	grep -Eq "^\.BR? $k( |\$)" "$man/ftp-algd.conf.5" ||
		miss "config key '$k' in deploy/man/ftp-algd.conf.5"
done
ncmds=0
for c in $cmds; do
	ncmds=$((ncmds + 1))
	grep -Eq "^\.BR? $(printf '%s' "$c" | sed 's/-/\\\\-/g')( |\$)" \
		"$man/ftp-algctl.8" ||
		miss "ctl command '$c' in deploy/man/ftp-algctl.8"
done
nflags=0
for pair in "alg/daemon/ftp-algd.c:ftp-algd.8" "alg/ftp-algctl.c:ftp-algctl.8"; do
	src=${pair%%:*} page=${pair##*:}
	for f in $(flags_of "$top/$src"); do
		nflags=$((nflags + 1))
		esc=$(printf '%s' "$f" | sed 's/-/\\\\-/g')
		grep -q -- "\\\\-\\\\-$esc" "$man/$page" ||
			miss "flag --$f of $src in deploy/man/$page"
	done
done

for p in "$man"/*.[0-9]; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$p" 2>&1 \
		>/dev/null || true)
	if [ -n "$w" ]; then
		echo "$p: man warns:" >&2
		echo "$w" >&2
		fail=1
	fi
done

if [ $fail = 0 ]; then
	echo "man pages: $nkeys config keys, $ncmds ctl commands," \
		"$nflags flags documented"
fi
exit $fail
