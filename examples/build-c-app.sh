#!/usr/bin/env bash
# Builds a C app for Uniwasm: build-c-app.sh WORLD APP_DIR
#
# Generates bindings for WORLD (a world of ../wit) with `wit-bindgen c` into
# APP_DIR/build/gen, compiles APP_DIR/src/*.c with them for wasm32 against
# Debian's wasi-libc (for malloc and friends only), and writes
# APP_DIR/build/WORLD.wasm. The module must import nothing but the
# spiderlightning:slight interfaces: the kernel provides nothing else.
# Each app's build.sh calls this script; it is idempotent.
#
# UNIWASM_PROFILE (set by Uniwasm for every build, see uniwasm.json in
# examples/README.md) picks the flags: `release` (the default) optimizes for
# size and strips DWARF; `debug` (what F5 builds) compiles with -O0 -g and
# keeps the DWARF, so the debugger binds line breakpoints and shows file:line.
# Both write the same module path.
set -euo pipefail

die() {
  echo "build: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || die "usage: build-c-app.sh WORLD APP_DIR"
profile=${UNIWASM_PROFILE:-release}
case $profile in
  # --strip-debug: Debian's libc.a carries DWARF; the `name` section stays so
  #   functions keep their names in traces.
  release) optimize=(-Os) strip=(-Wl,--strip-debug) ;;
  # -O0: one DWARF row per statement, in source order, for steps and line
  #   breakpoints. libc's DWARF stays too (wasm-ld cannot strip per object):
  #   the demo grows from ~24 KB to ~120 KB, which only a debug session loads.
  debug) optimize=(-O0 -g) strip=() ;;
  *) die "UNIWASM_PROFILE must be release or debug, not '$profile'" ;;
esac
world=$1
app_dir=$(cd "$2" && pwd)
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
wit_dir=$repo_root/wit
# The one `npm run setup` installs, else one on PATH (Uniwasm: Check Tools gives its install line).
wit_bindgen=$repo_root/.uniwasm/tools/bin/wit-bindgen
[[ -x $wit_bindgen ]] || wit_bindgen=$(command -v wit-bindgen) ||
  die "wit-bindgen not found in $repo_root/.uniwasm/tools/bin or on PATH: run \`npm run setup\`, or \`cargo install --locked wit-bindgen-cli --version 0.63.0 --no-default-features --features c\`"
for tool in clang wasm-ld wasm-objdump; do
  command -v "$tool" >/dev/null || die "$tool not found on PATH: install clang, lld and wabt (\`npm run setup\` lists them)"
done

target=(--target=wasm32-wasi)
# clang prints the bare name back when it cannot find a file in its paths.
[[ $(clang "${target[@]}" -print-file-name=libc.a) == /* ]] ||
  die "wasi-libc not found for clang: install Debian's wasi-libc (\`npm run setup\` lists it)"
[[ -f $(clang "${target[@]}" -print-libgcc-file-name) ]] ||
  die "wasm32 compiler-rt builtins not found: install libclang-rt-dev-wasm32 (\`npm run setup\` lists it)"

build=$app_dir/build
gen=$build/gen
out=$build/$world.wasm
# No stale module survives a failed build.
rm -f "$out"
rm -rf "$gen"
mkdir -p "$gen"

# wit-bindgen names its files after the world, with '-' turned into '_'.
# Quiet on success (it lists every file it writes), verbatim on failure.
if ! log=$(RUST_BACKTRACE=0 "$wit_bindgen" c "$wit_dir" --world "$world" --out-dir "$gen" 2>&1); then
  echo "$log" >&2
  die "wit-bindgen failed on $wit_dir for world $world"
fi
stem=${world//-/_}

shopt -s nullglob
sources=("$app_dir"/src/*.c)
[[ ${#sources[@]} -gt 0 ]] || die "no C sources in $app_dir/src"

# -nostartfiles: no crt1, so no `_start`/`_initialize`; the app's `init`
#   runs the constructors (see __wasm_call_ctors in the examples).
# -fdiagnostics-absolute-paths: errors come out as
#   /abs/path/file.c:line:col: error: … for the editor's problem matcher.
# --stack-first: the 64 KiB stack sits below the data, so an overflow traps
#   (out of bounds) instead of silently overwriting globals.
clang "${target[@]}" "${optimize[@]}" -std=c11 -Wall -Wextra -fdiagnostics-absolute-paths \
  -I "$gen" \
  -nostartfiles -Wl,--no-entry -Wl,--stack-first "${strip[@]}" \
  "${sources[@]}" "$gen/$stem.c" "$gen/${stem}_component_type.o" \
  -o "$out.tmp"

# Every import must come from a spiderlightning:slight interface.
foreign=$(wasm-objdump -x -j Import "$out.tmp" | grep -- ' <- ' | grep -v ' <- spiderlightning:slight/' || true)
if [[ -n $foreign ]]; then
  rm -f "$out.tmp"
  die "the module imports functions the kernel does not provide:"$'\n'"$foreign"
fi
mv "$out.tmp" "$out"
echo "built $out ($(wc -c <"$out") bytes, $profile)"
