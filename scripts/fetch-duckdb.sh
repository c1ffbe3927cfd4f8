#!/usr/bin/env bash
# Fetches the prebuilt DuckDB library (1.4.5) and its header (1.4.4, byte-identical)
# from the npm registry into third_party/duckdb/{lib,include}, checking sha256 sums.
# Idempotent: does nothing once third_party/duckdb/.stamp exists.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/third_party/duckdb"
[ -f "$dest/.stamp" ] && exit 0

lib_pkg="@duckdb/node-bindings-linux-x64@1.4.5-r.1"
lib_sum="30e93d61a84dac10b1e0dc0b8b1a14616c7116f0c43d089ef196afb9255a7674"
hdr_pkg="duckdb@1.4.4"
hdr_sum="5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed"

command -v npm >/dev/null || { echo "fetch-duckdb: npm is required (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-duckdb: downloading $lib_pkg and $hdr_pkg from npm"
(cd "$tmp" && npm pack --silent --pack-destination "$tmp" "$lib_pkg" "$hdr_pkg" >/dev/null)
lib_tgz=$(ls "$tmp"/duckdb-node-bindings-linux-x64-*.tgz)
hdr_tgz=$(ls "$tmp"/duckdb-1.4.4.tgz)
echo "$lib_sum  $lib_tgz" | sha256sum -c --quiet
echo "$hdr_sum  $hdr_tgz" | sha256sum -c --quiet
mkdir -p "$dest/lib" "$dest/include"
tar -xzf "$lib_tgz" -C "$dest/lib" --strip-components=1 package/libduckdb.so package/LICENSE
tar -xzf "$hdr_tgz" -C "$dest/include" --strip-components=5 package/src/duckdb/src/include/duckdb.h
[ -s "$dest/include/duckdb.h" ] && [ -s "$dest/lib/libduckdb.so" ] || { echo "fetch-duckdb: extraction failed" >&2; exit 1; }
touch "$dest/.stamp"
echo "fetch-duckdb: installed into third_party/duckdb"
