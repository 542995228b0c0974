#!/usr/bin/env bash
# Builds build/http-component-c.wasm, a wasi:http/proxy component (called by the Uniwasm CLI, see
# uniwasm.json): `wit-bindgen c` bindings for the world, clang 14 and wasi-libc make a reactor core
# module, and `wasm-tools component new` wraps it with the WASI preview1 reactor adapter.
#
# UNIWASM_PROFILE: `release` (the default) optimizes for size and strips DWARF; `debug` compiles
# with -O0 -g and keeps the DWARF for line breakpoints. Both write the same path.
set -euo pipefail
app_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools=$(cd "$app_dir/../.." && pwd)/.uniwasm/tools

die() {
  echo "build: $*" >&2
  exit 1
}

case ${UNIWASM_PROFILE:=release} in
  release) flags=(-Os -Wl,--strip-debug) ;;
  debug) flags=(-O0 -g) ;;
  *) die "UNIWASM_PROFILE must be release or debug, not '$UNIWASM_PROFILE'" ;;
esac
adapter=$tools/wasi-adapters/wasi_snapshot_preview1.reactor.wasm
for file in "$tools/bin/wit-bindgen" "$tools/bin/wasm-tools" "$adapter" "$tools/wasi-wit/world.wit"; do
  [[ -e $file ]] || die "$file not found: run \`npm run setup\`"
done
command -v clang >/dev/null || die "clang not found on PATH: install clang, lld and wasi-libc (\`npm run setup\`)"

build=$app_dir/build
out=$build/http-component-c.wasm
# No stale component survives a failed build.
rm -rf "$out" "$build/gen"
mkdir -p "$build/gen"

# Quiet on success (it lists every file it writes), verbatim on failure. Writes proxy.{c,h} and
# proxy_component_type.o (the world's WIT, which `component new` reads back).
if ! log=$("$tools/bin/wit-bindgen" c "$tools/wasi-wit" --world wasi:http/proxy --out-dir "$build/gen" 2>&1); then
  echo "$log" >&2
  die "wit-bindgen failed"
fi

# -mexec-model=reactor: no main; wasi-libc's _initialize runs the constructors, and the component
#   runs it when it is instantiated.
# -fdiagnostics-absolute-paths: /abs/file.c:line:col: error: … for the editor's problem matcher.
clang --target=wasm32-wasi -mexec-model=reactor "${flags[@]}" -std=c11 -Wall -Wextra -fdiagnostics-absolute-paths \
  -I "$build/gen" "$app_dir"/src/*.c "$build/gen/proxy.c" "$build/gen/proxy_component_type.o" \
  -o "$build/core.wasm"
"$tools/bin/wasm-tools" component new "$build/core.wasm" \
  --adapt "wasi_snapshot_preview1=$adapter" -o "$out.tmp"
"$tools/bin/wasm-tools" validate "$out.tmp"
mv "$out.tmp" "$out"
echo "built $out ($(wc -c <"$out") bytes, $UNIWASM_PROFILE)"
