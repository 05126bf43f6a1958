#!/usr/bin/env bash
# prebuildify calls this as its node-gyp (`--node-gyp=scripts/prebuild-with-cmake.sh rebuild ...`):
# build the addon with cmake-js instead, into build/Release where prebuildify looks. prebuildify's
# node-gyp arguments (target, devdir, arch) are not needed: the addon targets N-API 8, and cmake-js
# takes the headers from node-api-headers (package.json "binary.napi_versions").
set -euo pipefail
cd "$(dirname "$0")/.."
exec node node_modules/cmake-js/bin/cmake-js rebuild \
  --CDTF_INCLUDE_DIR="$(node scripts/setup-libtensorflow.mjs --print-include)"
