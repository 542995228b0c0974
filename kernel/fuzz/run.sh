#!/bin/sh
# Builds the fuzz targets with libFuzzer on stable Rust and runs each for
# SECONDS (default 60), one after the other on one core, then prints
# target / execs / exec/s / crashes / seconds and appends it to the results
# log. See README.md.
#
#   kernel/fuzz/run.sh [SECONDS] [TARGET...]
#
# FUZZ_ASAN=1 builds with AddressSanitizer (a nightly flag, allowed on stable
# through RUSTC_BOOTSTRAP=1; about 15x slower, for the unsafe code in wasmi).
# Several run.sh at once on the same target fuzz in parallel: they share the
# corpus (libFuzzer reloads it) and each keeps its own log.
# Exit status 1 if any target crashed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-http_request resp_decode abi_lift module_load component_lift component_load}

work=$(cd "$here/.." && pwd)/target/fuzz
flags="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags="$flags -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table"
flags="$flags -Cforce-frame-pointers"
build=$work
if [ "${FUZZ_ASAN:-0}" = 1 ]; then
  export RUSTC_BOOTSTRAP=1
  flags="$flags -Zsanitizer=address"
  build=$work/asan
fi
# An explicit --target keeps these flags off build scripts and proc-macros.
build_in() { # DIR RUSTFLAGS
  (cd "$here" && CARGO_TARGET_DIR=$1 RUSTFLAGS=$2 \
    cargo build --release --target x86_64-unknown-linux-gnu -j1 --bins)
}
# Comparison tracing finds the magic values of the byte-level targets. module_load's
# inputs are mostly wasm-smith's structured choices, where it buys little and halves
# the speed (wasm-smith's instruction choice is one long chain of comparisons).
case " $targets " in *" module_load "*) build_in "$build/structured" "$flags" ;; esac
if [ -n "$(echo " $targets " | sed 's/ module_load / /; s/ //g')" ]; then
  build_in "$build" "$flags -Cllvm-args=-sanitizer-coverage-trace-compares"
fi
bin_of() {
  case $1 in
    module_load) echo "$build/structured/x86_64-unknown-linux-gnu/release/$1" ;;
    *) echo "$build/x86_64-unknown-linux-gnu/release/$1" ;;
  esac
}

# The guests of the runtime's tests seed module_load and component_load (they are not in git as
# .wasm). Components need wasm-tools. (The example components are component_load's templates,
# not its seeds: mutated whole, their size made it 20 times slower.)
seeds=$work/seeds
wasm_tools=$here/../../.uniwasm/tools/bin/wasm-tools
mkdir -p "$seeds/module_load" "$seeds/component_load"
for wat in "$here"/../runtime/tests/guests/*.wat; do
  name=$(basename "$wat" .wat)
  if grep -q '^(component' "$wat"; then
    [ -x "$wasm_tools" ] && "$wasm_tools" parse -o "$seeds/component_load/$name.wasm" "$wat"
  else
    wat2wasm --enable-all -o "$seeds/module_load/$name.wasm" "$wat"
  fi
done

results=$work/results.log
commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
table=$(mktemp)
failed=0
for target in $targets; do
  # New inputs go to the first directory (outside git), so coverage builds up
  # across runs; the checked-in seeds are only read.
  corpus=$work/corpus/$target
  artifacts=$work/artifacts/$target
  log=$work/logs/$target.$$.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  extra=
  case $target in module_load | component_load) extra=$seeds/$target ;; esac
  # component_load: whole components mutated byte by byte are kept small, or the validator's work
  # swamps the rest; and each execution touches some 70,000 features, for which libFuzzer's
  # entropic schedule spent more time than the execution itself.
  max_len=
  [ "$target" = component_load ] && max_len="-max_len=16384 -entropic=0"
  before=$(ls "$artifacts" | wc -l)
  start=$(date +%s)
  status=0
  # shellcheck disable=SC2086 # $extra and $max_len are words or nothing
  "$(bin_of "$target")" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $max_len \
    -artifact_prefix="$artifacts/" "$corpus" "$here/corpus/$target" $extra >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - start ))
  crashes=$(( $(ls "$artifacts" | wc -l) - before ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if [ "$status" != 0 ] || [ "$crashes" != 0 ]; then
    failed=1
    echo "$target: libFuzzer exited with $status, $crashes new artifact(s) in $artifacts; log: $log" >&2
    grep -m1 -A4 -E 'panicked|ERROR: (libFuzzer|AddressSanitizer)' "$log" >&2 || true
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$target" "${execs:-?}" "${rate:-?}" "$crashes" "$elapsed" >>"$table"
  printf '%s\t%s\t%s%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$commit" "$target" \
    "$([ "${FUZZ_ASAN:-0}" = 1 ] && echo ' (asan)')" "${execs:-?}" "${rate:-?}" "$crashes" "$elapsed" >>"$results"
done

printf '%-14s %12s %8s %8s %8s\n' target execs exec/s crashes seconds
while IFS="$(printf '\t')" read -r target execs rate crashes elapsed; do
  printf '%-14s %12s %8s %8s %8s\n' "$target" "$execs" "$rate" "$crashes" "$elapsed"
done <"$table"
rm -f "$table"
echo "appended to $results"
exit "$failed"
