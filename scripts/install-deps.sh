#!/usr/bin/env bash
# Installs everything tranche needs to build and test, on Debian 12.
# Idempotent: a second run does nothing but check. Downloads only from
# Debian's package archive and the npm registry.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

apt_packages=(
  build-essential pkg-config
  libsqlite3-dev libyaml-dev libcmocka-dev libcurl4-openssl-dev libmicrohttpd-dev libgraphviz-dev
  tzdata ca-certificates python3
)

# npm fetches the prebuilt DuckDB library; a machine with Node.js from elsewhere keeps it.
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# DuckDB: library and header come prebuilt inside npm packages (see docs/development.md).
"$here/scripts/fetch-duckdb.sh"

# The browser test of the web UI (tests/browser): Debian's Chromium, driven by
# playwright-core from npm (the exact version in tests/browser/package-lock.json;
# Playwright's own browser download is skipped). A Chromium that cannot be
# installed is not fatal: the browser test then says "skip".
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "install-deps: installing chromium (for tests/browser)"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; }; then
    echo "install-deps: warning: chromium could not be installed; the browser test will be skipped" >&2
  fi
fi
browser="$here/tests/browser"
want=$(sed -n 's/.*"playwright-core": "\([0-9.]*\)".*/\1/p' "$browser/package.json" | head -1)
have=$(sed -n 's/^ *"version": "\([0-9.]*\)".*/\1/p' "$browser/node_modules/playwright-core/package.json" 2>/dev/null | head -1 || true)
if [ "$have" != "$want" ]; then
  echo "install-deps: installing playwright-core $want into tests/browser/node_modules"
  (cd "$browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
