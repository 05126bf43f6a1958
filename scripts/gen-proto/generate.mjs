#!/usr/bin/env node
// Regenerates lib/proto/gen/ from TensorFlow's own protobuf schema: the descriptors embedded in the
// pinned TF wheel (scripts/libtensorflow.json). Nothing is fetched from anywhere else and no .proto
// file is written by hand.
//
//   npm run gen:proto                       pip-download the pinned wheel, generate, clean up
//   npm run gen:proto -- --wheel FILE.whl   use a wheel already on disk (same version required)
//   TF_WHEEL=FILE.whl npm run gen:proto     the same
//
// Steps: (1) get the wheel with pip, exactly as scripts/setup-libtensorflow.mjs does (configured
// index first), into a temporary folder that is deleted afterwards; (2) read_descriptors.py pulls the
// serialized FileDescriptorProtos out of the wheel's *_pb2.py modules with `ast` (TF is not
// imported) and writes the transitive closure of ROOTS as a FileDescriptorSet; (3) here, the
// well-known types TF imports (google/protobuf/*.proto) are added from @bufbuild/protobuf/wkt, and
// every field gets its json_name (the embedded descriptors carry none, protoc would have filled
// them); (4) `buf generate` runs protoc-gen-es on that image (TF's files only; the well-known types
// are imported from @bufbuild/protobuf/wkt by the generated code); (5) the schema's TF version is
// written to lib/proto/gen/schema-version.ts and lib/proto/gen/SCHEMA_VERSION.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { protoCamelCase } from '@bufbuild/protobuf/reflect';
import * as wkt from '@bufbuild/protobuf/wkt';
import { downloadWheel, python } from '../setup-libtensorflow.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const pin = JSON.parse(fs.readFileSync(path.join(root, 'scripts', 'libtensorflow.json'), 'utf8'));
const outDir = path.join(root, 'lib', 'proto', 'gen');

// The messages the package uses, by the .proto file that declares them. Everything they import
// comes along (transitive closure).
export const ROOTS = [
  'tensorflow/core/framework/graph.proto', // GraphDef, NodeDef, AttrValue, TensorProto, ...
  'tensorflow/core/framework/op_def.proto', // OpList, OpDef
  'tensorflow/core/framework/variable.proto', // VariableDef
  'tensorflow/core/framework/summary.proto', // Summary, HistogramProto (xla/tsl)
  'tensorflow/core/protobuf/meta_graph.proto', // MetaGraphDef, CollectionDef, SignatureDef, AssetFileDef
  'tensorflow/core/protobuf/saver.proto', // SaverDef
  'tensorflow/core/protobuf/queue_runner.proto', // QueueRunnerDef
  'tensorflow/core/protobuf/config.proto', // ConfigProto, RunOptions, RunMetadata
  'tensorflow/core/protobuf/cluster.proto', // ClusterDef
  'tensorflow/core/protobuf/tensorflow_server.proto', // ServerDef
  'tensorflow/core/protobuf/tensor_bundle.proto', // BundleHeaderProto, BundleEntryProto (checkpoint index)
  'tensorflow/core/protobuf/saved_model.proto', // SavedModel
  'tensorflow/core/util/event.proto', // Event, SessionLog
  'tensorflow/python/training/checkpoint_state.proto', // CheckpointState
];

const log = (msg) => process.stderr.write(`[gen-proto] ${msg}\n`);

// A wheel's file name carries its version: tensorflow_cpu-2.21.0-cp311-....whl.
function checkWheelVersion(wheel) {
  const [dist, version] = path.basename(wheel).split('-');
  if (version !== pin.version || dist.replace(/_/g, '-') !== pin.pipPackage) {
    throw new Error(`gen-proto: ${path.basename(wheel)} is not ${pin.pipPackage}==${pin.version} (scripts/libtensorflow.json)`);
  }
}

// protoc fills json_name for every field before handing descriptors to a plugin; the descriptors
// embedded in pb2 modules have none. Same rule as protoc: lowerCamelCase of the field name.
function fillJsonNames(file) {
  const fields = (msg) => {
    for (const f of [...msg.field, ...msg.extension]) if (!f.jsonName) f.jsonName = protoCamelCase(f.name);
    msg.nestedType.forEach(fields);
  };
  file.messageType.forEach(fields);
  for (const f of file.extension) if (!f.jsonName) f.jsonName = protoCamelCase(f.name);
}

function wellKnownFile(name) {
  // file_google_protobuf_any, file_google_protobuf_wrappers, ...
  const exportName = `file_${name.replace(/\.proto$/, '').replace(/[/.]/g, '_')}`;
  // biome-ignore lint/performance/noDynamicNamespaceImportAccess: the name comes from the wheel's descriptors
  const desc = wkt[exportName];
  if (!desc || desc.proto?.name !== name) throw new Error(`gen-proto: ${name} is neither in the wheel nor in @bufbuild/protobuf/wkt`);
  // A copy: the runtime's own descriptor objects must not be touched.
  return fromBinary(wkt.FileDescriptorProtoSchema, toBinary(wkt.FileDescriptorProtoSchema, desc.proto));
}

function buildImage(py, wheel, work) {
  const setPath = path.join(work, 'tf.binpb');
  const out = execFileSync(py, [path.join(here, 'read_descriptors.py'), '--wheel', wheel, '--out', setPath, ...ROOTS], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { files, missing } = JSON.parse(out);
  const tf = fromBinary(wkt.FileDescriptorSetSchema, fs.readFileSync(setPath));
  const wktFiles = missing.map(wellKnownFile);
  for (const f of wktFiles) {
    for (const dep of f.dependency) if (!missing.includes(dep)) throw new Error(`gen-proto: unexpected import ${dep} in ${f.name}`);
  }
  const set = create(wkt.FileDescriptorSetSchema, { file: [...wktFiles, ...tf.file] });
  set.file.forEach(fillJsonNames);
  const image = path.join(work, 'image.binpb');
  fs.writeFileSync(image, toBinary(wkt.FileDescriptorSetSchema, set));
  log(`${files.length} TF files (+ ${missing.join(', ')}) from ${path.basename(wheel)}`);
  return { image, files };
}

function runBuf(image) {
  const bin = path.join(root, 'node_modules', '.bin');
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
  execFileSync(path.join(bin, 'buf'), ['generate', image, '--template', path.join(here, 'buf.gen.yaml'), '--exclude-path', 'google'], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
}

const header = '// Generated by scripts/gen-proto/generate.mjs (npm run gen:proto). DO NOT EDIT.\n';

// gen/index.ts re-exports every generated module; gen/files.ts lists their file descriptors (for
// the registry that resolves google.protobuf.Any and type names).
function writeIndex(files) {
  const modules = files.map((f) => {
    const rel = `./${f.replace(/\.proto$/, '_pb')}`;
    const src = fs.readFileSync(path.join(outDir, `${rel}.ts`), 'utf8');
    const m = /^export const (file_\w+): GenFile\b/m.exec(src);
    if (!m) throw new Error(`gen-proto: no file descriptor export in ${rel}.ts`);
    return { rel, fileExport: m[1] };
  });
  fs.writeFileSync(
    path.join(outDir, 'index.ts'),
    header +
      '\n' +
      modules.map((m) => `export * from ${JSON.stringify(m.rel)};\n`).join('') +
      `export * from "./schema-version";\nexport { GENERATED_FILES } from "./files";\n`,
  );
  fs.writeFileSync(
    path.join(outDir, 'files.ts'),
    header +
      '\n' +
      'import type { GenFile } from "@bufbuild/protobuf/codegenv2";\n' +
      modules.map((m) => `import { ${m.fileExport} } from ${JSON.stringify(m.rel)};\n`).join('') +
      '\n/** Every generated file descriptor (dependencies first). */\n' +
      'export const GENERATED_FILES: readonly GenFile[] = [\n' +
      modules.map((m) => `  ${m.fileExport},\n`).join('') +
      '];\n',
  );
}

function writeVersion(files) {
  fs.writeFileSync(path.join(outDir, 'SCHEMA_VERSION'), `${pin.pipPackage}==${pin.version}\n`);
  fs.writeFileSync(
    path.join(outDir, 'schema-version.ts'),
    `${header}\n/** Version of the TensorFlow wheel whose embedded descriptors these types were generated from. */\n` +
      `export const SCHEMA_TF_VERSION = ${JSON.stringify(pin.version)};\n` +
      `/** The pip package that wheel belongs to. */\n` +
      `export const SCHEMA_TF_PACKAGE = ${JSON.stringify(pin.pipPackage)};\n` +
      `/** The .proto files generated (transitive closure of the roots in generate.mjs). */\n` +
      `export const SCHEMA_FILES: readonly string[] = ${JSON.stringify(files, null, 2)};\n`,
  );
}

function main(argv) {
  const i = argv.indexOf('--wheel');
  const given = i >= 0 ? argv[i + 1] : process.env.TF_WHEEL;
  const started = Date.now();
  const py = python();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-monitored-gen-proto-'));
  try {
    const wheel = given ? path.resolve(given) : downloadWheel(py, work);
    checkWheelVersion(wheel);
    const { image, files } = buildImage(py, wheel, work);
    runBuf(image);
    writeVersion(files);
    writeIndex(files);
    log(`lib/proto/gen: ${files.length} files for ${pin.pipPackage} ${pin.version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
