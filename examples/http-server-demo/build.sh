#!/usr/bin/env bash
# Builds build/http-server-demo.wasm (called by the Uniwasm CLI, see uniwasm.json).
set -euo pipefail
app_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$app_dir/../build-c-app.sh" http-server-demo "$app_dir"
