#!/usr/bin/env bash
# Proves the GPU path on a Linux x86-64 machine with an NVIDIA GPU (driver installed) and a normal
# package index, in a few minutes: fetches the CUDA build of the pinned TF and the CUDA runtime
# wheels it pins, shows what the loader found, runs the GPU tests, times the MLP step on GPU and
# CPU, and ends with one table. What a good run prints: README.md "GPU", docs/gpu.md.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
export TF_MONITORED_GPU=and-cuda   # the setup (also when npm ci runs it) fetches the CUDA build
if [ ! -d node_modules ]; then npm ci || exit 1; fi
node scripts/setup-libtensorflow.mjs || exit 1
node scripts/setup-python-test-deps.mjs || exit 1
npx tsx lib/cli/main.ts info --json > "$out/info.json"
npx tsx lib/cli/main.ts info
npx vitest run test/gpu/gpu.test.ts --reporter=default --reporter=json --outputFile.json="$out/tests.json"
node scripts/run-bench.mjs gpu-mlp --iters 50 --repeats 5 --json "$out/bench.json"
node scripts/gpu-check-table.mjs "$out"
