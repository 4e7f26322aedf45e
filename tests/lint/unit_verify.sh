#!/usr/bin/env bash
# deploy/ftp-algd.service passes "systemd-analyze verify" (no warning at
# all) and its "systemd-analyze security" exposure stays at or below
# the figure docs/deployment.md reports. The unit names /usr/sbin/ftp-algd
# and man pages that only the package installs: verify a copy whose
# ExecStart is the built binary, with MANPATH at deploy/man.
#   unit_verify.sh BUILD_DIR
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: unit_verify.sh BUILD_DIR}" && pwd)
algd=$build/alg/ftp-algd
max_exposure=2.0

command -v systemd-analyze >/dev/null ||
	{ echo "systemd-analyze missing (package systemd)" >&2; exit 1; }
[ -x "$algd" ] || { echo "$algd not built" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/man/man5" "$tmp/man/man8"
cp "$top"/deploy/man/*.5 "$tmp/man/man5/"
cp "$top"/deploy/man/*.8 "$tmp/man/man8/"
sed "s#/usr/sbin/ftp-algd#$algd#g" "$top/deploy/ftp-algd.service" \
	>"$tmp/ftp-algd.service"

out=$(MANPATH=$tmp/man SYSTEMD_LOG_LEVEL=notice \
	systemd-analyze verify "$tmp/ftp-algd.service" 2>&1) || {
	echo "systemd-analyze verify failed:" >&2
	echo "$out" >&2
	exit 1
}
if [ -n "$out" ]; then
	echo "systemd-analyze verify warns:" >&2
	echo "$out" >&2
	exit 1
fi
echo "systemd-analyze verify: clean"

sec=$(systemd-analyze security --offline=yes --no-pager \
	"$tmp/ftp-algd.service" 2>&1) || true
score=$(printf '%s\n' "$sec" |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "no exposure score in:" >&2; echo "$sec" >&2; exit 1; }
echo "systemd-analyze security: exposure $score (at most $max_exposure)"
awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }' || {
	printf '%s\n' "$sec" | grep '✗' >&2
	exit 1
}
