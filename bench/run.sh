#!/usr/bin/env bash
# `npm run bench`: every benchmark, printed as JSON; figures are copied into bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
kernel=$(node dist/cli.js build --json | node -e 'process.stdin.on("data", d => console.log(JSON.parse(d).kernel))')
floor=$(bash bench/floor/build.sh)
echo "== boot → first HTTP answer vs the QEMU floor (TCG, microvm)"
node out/bench/boot.bench.js "$kernel" "$floor" "${RUNS:-15}"
