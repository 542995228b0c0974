#!/usr/bin/env bash
# Builds build/http-component-rust.wasm, a wasi:http/proxy component (called by the Uniwasm CLI, see
# uniwasm.json): Debian's rustc 1.96 for wasm32-wasip2, whose linker step makes the component.
#
# UNIWASM_PROFILE: `release` (the default) optimizes for size and strips DWARF; `debug` builds
# cargo's dev profile (-O0, DWARF kept) for line breakpoints. Both write the same path.
set -euo pipefail
app_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$app_dir/../.." && pwd)

die() {
  echo "build: $*" >&2
  exit 1
}

profile=${UNIWASM_PROFILE:-release}
case $profile in
  release) cargo_profile=(--release) profile_dir=release ;;
  debug) cargo_profile=() profile_dir=debug ;;
  *) die "UNIWASM_PROFILE must be release or debug, not '$profile'" ;;
esac
# rustup's older cargo and rustc come first on PATH and know no wasm32-wasip2 std: use Debian's.
[[ -x /usr/bin/cargo && -x /usr/bin/rustc ]] ||
  die "Debian's Rust 1.96 not found: install rustc-web cargo-web rust-web-src rust-web-llvm lld-22 (\`npm run setup\`)"
wasm_ld=/usr/lib/llvm-22/bin/wasm-ld
[[ -x $wasm_ld ]] || die "$wasm_ld not found: install lld-22 (\`npm run setup\`)"

out=$app_dir/build/http-component-rust.wasm
rm -f "$out"
mkdir -p "$app_dir/build"
# One target dir for every Rust guest: the standard library (-Zbuild-std, no prebuilt one for
# this target) is built once per profile, not once per app.
target_dir=$repo_root/.uniwasm/cargo-wasm
# RUSTC_BOOTSTRAP: -Zbuild-std is unstable. -L: Debian's wasi-libc (crt1, libc) for std.
# --wasm-ld-path: wasm-component-ld would otherwise take lld 14, older than rustc's LLVM 22.
RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$target_dir \
  RUSTFLAGS="-L native=/usr/lib/wasm32-wasi -C link-arg=--wasm-ld-path=$wasm_ld" \
  /usr/bin/cargo build --quiet --locked -j 2 "${cargo_profile[@]}" --manifest-path "$app_dir/Cargo.toml" \
  --target wasm32-wasip2 -Zbuild-std=std,panic_abort
cp "$target_dir/wasm32-wasip2/$profile_dir/http-component-rust.wasm" "$out"
echo "built $out ($(wc -c <"$out") bytes, $profile)"
