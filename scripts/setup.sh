#!/usr/bin/env bash
# Installs what Uniwasm needs on a fresh Debian machine, and nothing when all is there:
# Debian packages, npm dependencies, crates, the guest toolchain's wit-bindgen.
# Idempotent and quiet when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  qemu-system-x86   # boots the unikernel
  redis-server      # the embedded Redis of `uniwasm run` and the tests
  clang lld wasi-libc libclang-rt-14-dev-wasm32  # the C guest toolchain (wasm32)
  wabt              # wasm2wat / wasm-objdump for checks
  gdb               # cross-checks the debug adapter in tests
  curl
)
WIT_BINDGEN_VERSION=0.63.0
TOOLS=.uniwasm/tools

source scripts/apt.sh
apt_install_missing setup "${APT_PACKAGES[@]}"

# code-server, Node 24, vsce and playwright-core for the VS Code tests (own stamp file; no-op when there).
bash scripts/install-code-server.sh

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -x "$TOOLS/bin/wit-bindgen" ] || ! "$TOOLS/bin/wit-bindgen" --version 2>/dev/null | grep -q "$WIT_BINDGEN_VERSION"; then
  echo "setup: cargo install wit-bindgen-cli $WIT_BINDGEN_VERSION (a few minutes, once)"
  cargo install --quiet --locked wit-bindgen-cli --version "$WIT_BINDGEN_VERSION" --no-default-features --features c --root "$TOOLS" -j 2
fi

bash scripts/install-component-tools.sh

(cd kernel && cargo fetch --quiet)
