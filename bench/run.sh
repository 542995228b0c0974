#!/usr/bin/env bash
# `npm run bench`: every benchmark, printed as JSON; figures are copied into bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
built=$(node dist/cli.js build --json --app examples/http-server-demo)
kernel=$(node -e 'console.log(JSON.parse(process.argv[1]).kernel)' "$built")
app=$(node -e 'console.log(JSON.parse(process.argv[1]).app)' "$built")
floor=$(bash bench/floor/build.sh)
echo "== boot → first 200 on /hello vs the QEMU floor (TCG, microvm)"
node out/bench/boot.bench.js "$kernel" "$floor" "$app" "${RUNS:-15}"

# The Linux baseline needs Debian's kernel and a static busybox, the load generators wrk and
# bench/rate/rate.c (bench only, not tests).
source scripts/apt.sh
apt_install_missing bench linux-image-amd64 busybox-static cpio kmod xz-utils wrk build-essential

echo "== Linux guest boot → first 200 on /hello, vs the unikernel"
node out/bench/linux-boot.bench.js "${RUNS:-11}" "$kernel"
echo "== throughput: wrk peak, fixed rate at half peak"
node out/bench/throughput.bench.js --runs "${RUNS:-10}" unikernel="$kernel" linux host
echo "== smallest guest RAM"
node out/bench/memory.bench.js linux
node out/bench/memory.bench.js unikernel="$kernel"
echo "== app edit → serving again (no kernel rebuild)"
node out/bench/edit.bench.js "${RUNS:-10}"
echo "== Wasm-level debugging: /hello requests/s with and without the debugger, a stop's cost, next round trip"
node out/bench/debug.bench.js --runs "${RUNS:-5}" --function exports_http_server_demo_handle_hello
echo "== F5's setup before the boot (the debug build debug.bench.js left at the demo's build path)"
node out/bench/debug-setup.bench.js --runs 3 examples/http-server-demo/build/http-server-demo.wasm
echo "== KeyValue panel ingest (MONITOR → correlator → batches)"
node out/bench/kv-ingest.bench.js
