#!/usr/bin/env bash
# The guest's own time per request: the median and p90 of the trace's `dur_us` (docs/TRACE.md: App::handle,
# from the request's lowering to its response) for GET /hello and GET /foo, each driven by
# `wrk -c1` for SECONDS after a 1 s warm-up, on KERNEL serving APP under QEMU TCG with a fresh Redis.
# Unlike requests/s it leaves out the host's network path, so it shows what the engine costs.
# usage: bash bench/guest-time.sh KERNEL APP.wasm [SECONDS]
set -euo pipefail
kernel=$1 app=$2 secs=${3:-5}
dir=$(mktemp -d)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rport=$(free_port)
hport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
redis=$!
qemu-system-x86_64 -M microvm -accel tcg -m 128 -nodefaults -no-user-config -nographic -no-reboot -serial none \
  -chardev file,id=trace,path="$dir/trace" -device isa-serial,chardev=trace,iobase=0x2f8,irq=3 \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$hport-:3000 \
  -device virtio-net-device,netdev=n0 -kernel "$kernel" -initrd "$app" \
  -append "ip=10.0.2.15/24 gw=10.0.2.2 port=3000 log=warn redis=10.0.2.2:$rport" &
qemu=$!
trap 'kill $qemu $redis 2>/dev/null; rm -rf "$dir"' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$hport/hello"; do
  kill -0 $qemu 2>/dev/null || { echo "QEMU ended before answering" >&2; exit 1; }
  sleep 0.05
done
curl -fs -o /dev/null -X PUT --data 'a value for GET /foo' "http://127.0.0.1:$hport/bar"
for p in /hello /foo; do
  wrk -t1 -c1 -d1s "http://127.0.0.1:$hport$p" >/dev/null   # warm-up: TCG's first translation
  echo "$p $(wc -l <"$dir/trace")" >>"$dir/marks"   # the trace line where this path's runs begin
  wrk -t1 -c1 -d"${secs}s" "http://127.0.0.1:$hport$p" >/dev/null
done
kill $qemu $redis
wait $qemu $redis 2>/dev/null || true
python3 - "$dir/trace" "$dir/marks" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
out = {}
for mark in open(sys.argv[2]):
    path, start = mark.split()
    events = []
    for line in lines[int(start):]:
        try:
            events.append(json.loads(line))
        except ValueError:
            pass  # a line cut at the mark
    durs = sorted(e['dur_us'] for e in events if e.get('type') == 'http' and e.get('path') == path)
    out[path] = {'n': len(durs), 'p50_us': durs[len(durs) // 2], 'p90_us': durs[len(durs) * 9 // 10]}
print(json.dumps(out))
PY
