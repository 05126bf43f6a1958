#!/usr/bin/env node
// Installs what the interop tests need on the Python side, pinned to the same TF version as
// libtensorflow: tensorflow-cpu, tensorboard and scikit-learn (the fixtures' data set). Runs as
// `pretest`; does nothing when they already import. Not part of the package: users never need it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configuredIndexArgs, python } from './setup-libtensorflow.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pin = JSON.parse(fs.readFileSync(path.join(here, 'libtensorflow.json'), 'utf8'));
const log = (m) => process.stderr.write(`[tf-monitored test deps] ${m}\n`);

const py = python();
const check = `import importlib.metadata as m, sys
want = {"tensorflow-cpu": "${pin.version}", "tensorboard": "${pin.version}"}
have = {}
for n in list(want) + ["tensorflow", "scikit-learn"]:
    try: have[n] = m.version(n)
    except Exception: pass
tf = have.get("tensorflow-cpu") or have.get("tensorflow")
ok = tf == "${pin.version}" and have.get("tensorboard", "").startswith("${pin.version.split('.').slice(0, 2).join('.')}") and "scikit-learn" in have
sys.exit(0 if ok else 1)`;
try {
  execFileSync(py, ['-c', check], { stdio: 'ignore' });
  log(`Python ${pin.pipPackage}==${pin.version}, tensorboard and scikit-learn present`);
} catch {
  const pkgs = [`${pin.pipPackage}==${pin.version}`, `tensorboard==${pin.version}`, 'scikit-learn'];
  log(`pip install ${pkgs.join(' ')}`);
  execFileSync(py, ['-m', 'pip', 'install', ...pkgs, ...configuredIndexArgs(py)], { stdio: ['ignore', 'inherit', 'inherit'] });
}
