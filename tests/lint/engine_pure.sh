#!/usr/bin/env bash
# The engine (alg/engine/) is pure: buffers, state structs and the time as
# an argument. This check fails when one of its sources, or a public
# header it includes, names a socket, netlink, epoll, syslog or clock
# header, or calls a clock, logging or I/O function. It prints each
# offending line as FILE:LINE: text.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2

files=(alg/engine/*.[ch])
for h in $(grep -ho '#include "ftp-alg/[a-z_]*\.h"' alg/engine/*.[ch] |
	   sed 's/#include "\(.*\)"/\1/' | sort -u); do
	files+=("include/$h")
done
[ ${#files[@]} -gt 5 ] || { echo "engine_pure: no engine sources found"; exit 2; }

headers='sys/socket\.h|sys/epoll\.h|sys/signalfd\.h|sys/time\.h|time\.h|syslog\.h|unistd\.h|fcntl\.h|poll\.h|linux/netlink\.h|linux/netfilter|libmnl/|libnftnl/|libnetfilter_queue/|ftp-alg/(log|config|ct|ctl|nfq_io|pin|fw|ruleset)\.h'
calls='\b(printf|fprintf|vfprintf|puts|fputs|fopen|fwrite|fread|perror|syslog|vsyslog|clock_gettime|gettimeofday|time|socket|bind|sendto|recvfrom|sendmsg|recvmsg|epoll_[a-z_]+|read|write|open|close|getrandom|rand|srand|mnl_[a-z_]+|nftnl_[a-z_]+|nfq_[a-z_]+|log_[a-z_]+)\s*\('

bad=0
out=$(grep -nE "#include[[:space:]]*[<\"]($headers)" "${files[@]}") && {
	echo "$out" | sed 's/^/engine_pure: forbidden header: /'
	bad=1
}
# comments may name anything; code may not call it
out=$(grep -nE "$calls" "${files[@]}" |
      grep -vE ':[0-9]+:[[:space:]]*(/?\*|//)') && {
	echo "$out" | sed 's/^/engine_pure: forbidden call: /'
	bad=1
}
echo "engine_pure: ${#files[@]} files checked"
if [ $bad -ne 0 ]; then
	echo "engine_pure: 0 passed, 1 failed"
	exit 1
fi
echo "engine_pure: 1 passed, 0 failed"
