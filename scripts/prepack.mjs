#!/usr/bin/env node
// npm's `prepack` (run by `npm pack` and `npm publish`): the tarball must ship a prebuild built from
// the native sources being packed, or users' installs would compile the addon.
//
//   node scripts/prepack.mjs           prepack: build this platform's prebuild when it is missing or
//                                      stale (`npm run prebuild`), then check every prebuild; exit 1
//                                      with the reason when one is missing or stale
//   node scripts/prepack.mjs --check   the same check, building nothing
//   node scripts/prepack.mjs --record  after `npm run prebuild` (its last step): note which sources
//                                      this platform's prebuild was built from
//
// The note is prebuilds/<platform>-<arch>/sources.json: a hash of every input of the native build
// (native/*, the build files, node-addon-api's version, the libtensorflow pin), and the hash of the
// .node it describes. It is not packed (package.json "files" leaves it out). A prebuild made on
// another machine is released by copying its whole prebuilds/<platform>-<arch>/ folder, note
// included: it passes only when built from the same sources (docs/release.md).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NOTE = 'sources.json';
/** A release must hold this one; others are added when built elsewhere. */
export const REQUIRED = 'linux-x64';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** Every file whose content changes the built addon, relative to root, sorted. */
export function nativeInputs(dir = root) {
  const native = fs
    .readdirSync(path.join(dir, 'native'))
    .filter((f) => /\.(cc|h)$/.test(f))
    .map((f) => `native/${f}`);
  return [...native, 'CMakeLists.txt', 'binding.gyp', 'scripts/prebuild-with-cmake.sh', 'scripts/libtensorflow.json'].sort();
}

/** Hash of the native build's inputs: file names and contents, plus the package.json fields the build reads. */
export function sourcesHash(dir = root) {
  const h = createHash('sha256');
  for (const f of nativeInputs(dir)) {
    h.update(`${f}\0`);
    h.update(fs.readFileSync(path.join(dir, f)));
    h.update('\0');
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  h.update(JSON.stringify({ name: pkg.name, binary: pkg.binary, napi: pkg.dependencies?.['node-addon-api'] }));
  return h.digest('hex');
}

const platformDir = () => `${process.platform}-${process.arch}`;

/** Why prebuilds/<folder> cannot ship with the sources in dir, or null when it can. */
export function staleReason(folder, dir = root) {
  const where = path.join(dir, 'prebuilds', folder);
  const nodes = fs.existsSync(where) ? fs.readdirSync(where).filter((f) => f.endsWith('.node')) : [];
  if (nodes.length === 0) return `prebuilds/${folder}/ holds no .node`;
  if (nodes.length > 1)
    return `prebuilds/${folder}/ holds ${nodes.length} .node files (${nodes.join(', ')}): node-gyp-build would pick one at random`;
  let note;
  try {
    note = JSON.parse(fs.readFileSync(path.join(where, NOTE), 'utf8'));
  } catch {
    return `prebuilds/${folder}/${NOTE} is missing: nothing says which sources ${nodes[0]} was built from`;
  }
  if (note.node !== nodes[0] || note.nodeSha256 !== sha256(fs.readFileSync(path.join(where, nodes[0])))) {
    return `prebuilds/${folder}/${nodes[0]} is not the file ${NOTE} describes (replaced after its build?)`;
  }
  if (note.sources !== sourcesHash(dir)) return `prebuilds/${folder}/${nodes[0]} was built from other native sources than these`;
  return null;
}

/** Every prebuild folder's reason not to ship; the required one is listed even when absent. */
export function problems(dir = root) {
  const base = path.join(dir, 'prebuilds');
  const folders = new Set([
    REQUIRED,
    ...(fs.existsSync(base) ? fs.readdirSync(base).filter((f) => fs.statSync(path.join(base, f)).isDirectory()) : []),
  ]);
  return [...folders]
    .sort()
    .map((f) => staleReason(f, dir))
    .filter(Boolean);
}

function record() {
  const folder = platformDir();
  const where = path.join(root, 'prebuilds', folder);
  const nodes = fs.readdirSync(where).filter((f) => f.endsWith('.node'));
  if (nodes.length !== 1) throw new Error(`prebuilds/${folder}/ holds ${nodes.length} .node files, expected 1`);
  const note = {
    node: nodes[0],
    nodeSha256: sha256(fs.readFileSync(path.join(where, nodes[0]))),
    sources: sourcesHash(),
    inputs: nativeInputs(),
    node_version: process.version,
    built: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(where, NOTE), `${JSON.stringify(note, null, 2)}\n`);
  console.log(`prebuilds/${folder}/${nodes[0]}: built from sources ${note.sources.slice(0, 12)}`);
}

/** The prebuild must load here: a broken or foreign binary fails now, not on users' machines. */
function loads(folder) {
  const where = path.join(root, 'prebuilds', folder);
  const node = fs.readdirSync(where).find((f) => f.endsWith('.node'));
  execFileSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(where, node))})`], { stdio: 'inherit' });
}

function fail(list) {
  process.stderr.write(
    `\ntf-monitored prepack: NOT PACKING, the tarball would ship no usable prebuild:\n${list.map((p) => `  - ${p}\n`).join('')}` +
      `Build this platform's prebuild with \`npm run prebuild\` (a prebuild for another platform is built\n` +
      `there and its prebuilds/<platform>-<arch>/ folder copied here: docs/release.md); remove stale ones.\n\n`,
  );
  process.exit(1);
}

function main(args) {
  if (args.includes('--record')) return record();
  const here = platformDir();
  if (!args.includes('--check') && staleReason(here)) {
    console.error(`tf-monitored prepack: ${staleReason(here)}; building it (npm run prebuild)`);
    execFileSync('npm', ['run', 'prebuild'], { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] });
  }
  const list = problems();
  if (list.length) fail(list);
  if (!staleReason(here)) loads(here);
  const shipped = fs.readdirSync(path.join(root, 'prebuilds')).map((f) => `prebuilds/${f}/`);
  console.error(`tf-monitored prepack: prebuilds match the native sources (${shipped.join(', ')})`);
}

if (process.argv[1] && fs.realpathSync(path.resolve(process.argv[1])) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    fail([e.message]);
  }
}
