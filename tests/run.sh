#!/usr/bin/env bash
# Build ftp-alg and run its tests, on a fresh Debian 12 machine, as root.
#
#   tests/run.sh            unit + netns (normal build), unit (ASan+UBSan
#                           build), and a short fuzz run of every target
#   tests/run.sh unit|netns|fuzz|bench|all    only that label (all: every
#                           label, including bench)
#   tests/run.sh matrix     the whole compatibility matrix: rewrites
#                           docs/compatibility.md (its core runs in netns)
#   FUZZ_SECONDS=600 tests/run.sh fuzz        a longer fuzz run
#   BENCH_FULL=1 tests/run.sh bench           after the bench label (the
#                           engine figures and the --quick smoke run), the
#                           whole benchmark: tests/bench/run.sh, its table
#                           in build/bench-results.md
#
# Every missing prerequisite is installed first: a test that cannot run is
# a failure here, never a skip.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
what=${1:-default}
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${FUZZ_SECONDS:-30}

# Build tools, libraries, and what the network-namespace harness runs.
packages=(
	build-essential cmake pkg-config clang libclang-rt-14-dev
	libnetfilter-queue-dev libmnl-dev libnftnl-dev libnftables-dev
	libcmocka-dev
	nftables iptables conntrack iproute2 iputils-ping procps psmisc
	systemd man-db passwd util-linux strace
	vsftpd python3 python3-pyftpdlib python3-prometheus-client lftp curl
	wget tnftp inetutils-ftp openssl
)

install_missing() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "== installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		# vsftpd's package would start a server on the host's port 21:
		# tests run their own inside namespaces, so start no service
		local own_policy=0 rc=0
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d &&
				chmod 755 /usr/sbin/policy-rc.d && own_policy=1
		fi
		{ apt-get update -q &&
		  apt-get install -y -q --no-install-recommends "${missing[@]}"; } ||
			rc=$?
		[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
		if [ $rc -ne 0 ]; then
			echo "tests/run.sh: apt-get failed ($rc)" >&2
			exit 1
		fi
	fi
}

passed=0
failed=0
failed_names=()

# Run ctest for one label in one build dir; count results.
run_ctest() {
	local dir=$1 label=$2 log
	log=$(mktemp)
	echo "== ctest -L $label ($dir)"
	if (cd "$dir" && ctest -L "$label" --output-on-failure) 2>&1 |
		tee "$log"; then
		:
	fi
	local p f
	p=$(grep -Ec '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' "$log" || true)
	f=$(grep -Ec '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(\*\*\*|Failed|Timeout|Not Run)' "$log" || true)
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "!! no test ran for label $label in $dir"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || failed_names+=("$label@$(basename "$dir")")
	rm -f "$log"
}

build() {
	local dir=$1
	shift
	echo "== configure $dir $*"
	cmake -S "$top" -B "$dir" -DFTP_ALG_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j"$jobs"
}

if [ "$(id -u)" != 0 ]; then
	echo "tests/run.sh: run as root (it installs packages and builds network namespaces)" >&2
	exit 1
fi
install_missing

case "$what" in
default|all|unit|netns|bench|matrix)
	build "$top/build"
	;;
esac
case "$what" in
default)
	run_ctest "$top/build" unit
	build "$top/build-asan" -DFTP_ALG_SANITIZE=ON
	run_ctest "$top/build-asan" unit
	run_ctest "$top/build" netns
	;;
all)
	run_ctest "$top/build" unit
	build "$top/build-asan" -DFTP_ALG_SANITIZE=ON
	run_ctest "$top/build-asan" unit
	run_ctest "$top/build" netns
	run_ctest "$top/build" bench
	;;
unit|netns|bench|matrix)
	run_ctest "$top/build" "$what"
	if [ "$what" = bench ] && [ "${BENCH_FULL:-0}" = 1 ]; then
		bash "$top/tests/bench/run.sh" --build-dir "$top/build"
	fi
	;;
fuzz) ;;
*)
	echo "usage: tests/run.sh [unit|netns|fuzz|bench|matrix|all]" >&2
	exit 2
	;;
esac
case "$what" in
default|all|fuzz)
	CC=clang build "$top/build-fuzz" -DFTP_ALG_FUZZ=ON \
		-DFUZZ_SECONDS="$fuzz_seconds"
	run_ctest "$top/build-fuzz" fuzz
	;;
esac

echo
echo "tests: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
	echo "failing: ${failed_names[*]}"
	exit 1
fi
