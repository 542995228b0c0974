#!/usr/bin/env bash
# Every test of the project: types, the kernel's portable runtime on the host, then the Node
# suites (unit, integration with real QEMU/Redis/gdb, end to end). Run through `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== typecheck"
npx tsc -p . --noEmit

echo "== WIT grammar"
npx vscode-tmgrammar-test -g syntaxes/wit.tmLanguage.json 'test/grammar/**/*.wit'

echo "== build kernel and example apps"
node dist/cli.js build
node dist/cli.js build --app examples/hello
# The component examples: the runtime's tests serve them too.
node dist/cli.js build --app examples/http-component-c
node dist/cli.js build --app examples/http-component-rust

echo "== kernel runtime (cargo test on the host)"
(cd kernel && CARGO_TARGET_DIR=target/host cargo test --quiet -p uniwasm-runtime)

echo "== uniwasm-host (the runtime as a static Linux process)"
(cd kernel/hostrun && CARGO_TARGET_DIR=../target/hostrun cargo test --quiet)

echo "== node tests"
node --test --test-concurrency=1 out/test/ examples/
