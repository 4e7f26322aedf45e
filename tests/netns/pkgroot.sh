# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# tests/netns/pkgroot.sh: Debian packages that conflict with each other
# (vsftpd, proftpd-core and pure-ftpd each provide and conflict with
# ftp-server) unpacked side by side into private roots, so one test run
# can start all of them. The libraries they link are installed normally.
#
#	ftpalg_pkgroot ROOT PKG...	download PKG... (cached), install the
#					library packages they depend on, and
#					unpack PKG... into ROOT
#
# The programs then run from ROOT with their own configuration, e.g.
#	"$ROOT/usr/sbin/proftpd" -n -c CONF	(ModulePath $ROOT/usr/lib/proftpd)
#	"$ROOT/usr/sbin/pure-ftpd" ...
# Nothing is installed under / except the libraries; ROOT is the
# caller's to remove.

FTPALG_PKG_CACHE=${FTPALG_PKG_CACHE:-/var/cache/ftp-alg-tests/debs}

# The library packages (lib*) PKG... depend on, one per line.
_ftpalg_pkg_libdeps() {
	local p
	for p in "$@"; do
		apt-cache depends --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces \
			--no-enhances "$p" 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^lib/ { print $2 }'
	done | sort -u
}

ftpalg_pkgroot() {
	local root=$1 p f missing=() libs
	shift
	mkdir -p "$FTPALG_PKG_CACHE" "$root" || return 1
	for p in "$@"; do
		compgen -G "$FTPALG_PKG_CACHE/${p}_*.deb" >/dev/null ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		# apt's download user cannot write a root-owned cache: fine
		(cd "$FTPALG_PKG_CACHE" && apt-get download -q "${missing[@]}" \
			>/dev/null 2>&1) ||
		{ apt-get update -q >/dev/null &&
		  (cd "$FTPALG_PKG_CACHE" &&
		   apt-get download -q "${missing[@]}" >/dev/null 2>&1); } || {
			echo "ftpalg_pkgroot: apt-get download ${missing[*]} failed" >&2
			return 1
		}
	fi
	libs=$(_ftpalg_pkg_libdeps "$@")
	if [ -n "$libs" ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $libs >/dev/null || {
			echo "ftpalg_pkgroot: apt-get install $libs failed" >&2
			return 1
		}
	fi
	for p in "$@"; do
		# the newest cached version
		f=$(ls -1 "$FTPALG_PKG_CACHE/${p}"_*.deb 2>/dev/null | sort -V |
			tail -n 1)
		[ -n "$f" ] && dpkg -x "$f" "$root" || {
			echo "ftpalg_pkgroot: cannot unpack $p" >&2
			return 1
		}
	done
}
