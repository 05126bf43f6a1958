/**
 * The typed surface of the C++ addon, and the code that finds and loads libtensorflow, in the
 * order of docs/design.md decision 2 (see {@link loadLibtensorflow}). A library in a
 * world-writable folder is only used when the user names it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { errorForCode } from './core/errors';
import { describeCudaReport, findCudaLibraries, type CudaLibraryReport } from './gpu/cuda-libraries';

/** A tensor as it crosses the addon boundary (see native/tensor.h). */
export interface RawTensor {
  dtype: number;
  shape: number[];
  /**
   * Numeric data as an ArrayBuffer (typed array on the way in); outputs of at most 16 elements
   * come back as their values instead (one number/bigint, or an array of them); strings as
   * Uint8Array[]; null for resource/variant outputs.
   */
  data: ArrayBuffer | ArrayBufferView | Uint8Array[] | number | bigint | Array<number | bigint> | null;
}

export interface RawOperationInfo {
  name: string;
  type: string;
  device: string;
  inputs: string[];
  controlInputs: string[];
  outputTypes: number[];
}

export interface RawAttr {
  name: string;
  kind: string;
  value: unknown;
}
export interface RawOpDescription {
  type: string;
  name: string;
  device?: string;
  inputs?: Array<string | string[]>;
  controlInputs?: string[];
  attrs?: RawAttr[];
}

export interface NativeGraph {
  /** [sync] Imports a binary GraphDef; returns input-map keys that matched nothing. */
  importGraphDef(
    bytes: Uint8Array,
    opts?: { prefix?: string; uniquifyNames?: boolean; inputMap?: Array<[string, number, string]>; controlDependencies?: string[] },
  ): string[];
  /** [sync] */ toGraphDef(): Uint8Array;
  /** [sync] */ hasOperation(name: string): boolean;
  /** [sync] */ operationInfo(name: string): RawOperationInfo | null;
  /** [sync] */ listOperations(): Array<{ name: string; type: string }>;
  /** [sync] null = unknown rank; -1 = unknown dimension */ outputShape(tensorName: string): number[] | null;
  /** [sync] serialized AttrValue */ attrValue(op: string, attr: string): Uint8Array;
  /** [sync] serialized NodeDef */ nodeDef(op: string): Uint8Array;
  /** [sync] returns the new operation's name */ addOperation(desc: RawOpDescription): string;
  /** [sync] TF's C++ gradients under `prefix/`: one 'op:i' per x, null where TF gave none */
  addGradients(prefix: string, ys: string[], xs: string[], gradYs: string[] | null): Array<string | null>;
}

/**
 * Feeds cross the boundary flat, as arguments after the plan (no per-tensor objects, no array to
 * read): dtype0, shape0, data0, dtype1, ..., or a single handle for a feed made once with
 * `feedHandle`; then optionally the serialized RunOptions (or null) and whether RunMetadata is wanted.
 * Results come back as pairs [shape0, data0, shape1, data1, ...]: the dtype is the graph's, and
 * shapeN is undefined when the output has its fully known static shape; a run's result ends with
 * the RunMetadata bytes when asked.
 */
export type FlatTensors = Array<number | number[] | FeedHandle | boolean | undefined | RawTensor['data']>;
export type RunPlan = { readonly __plan: unique symbol };
export type FeedHandle = { readonly __feedHandle: unique symbol };

export interface NativeSession {
  /** [sync] resolves names once; the plan is reused by run/runSync */
  prepare(feeds: string[], fetches: string[], targets: string[]): RunPlan;
  /** [sync] outputs are copied; args: ...feeds, then optionally runOptions and wantMetadata */
  runSync(plan: RunPlan, ...feedsThenOptions: FlatTensors): FlatTensors;
  /** [async] large outputs arrive without a copy (external buffers); args as runSync */
  run(plan: RunPlan, ...feedsThenOptions: FlatTensors): Promise<FlatTensors>;
  /** [sync] */ listDevices(): Array<{ name: string; type: string; memoryBytes: number }>;
  /** [async] cancels in-flight runs, waits for them, deletes the session; idempotent */
  close(): Promise<void>;
  /** [sync] */ isClosed(): boolean;
  /** [sync] */ inFlight(): number;
}

export interface NativeServer {
  /** [sync] */ start(): void;
  /** [sync] TF answers UNIMPLEMENTED for a started gRPC server */ stop(): void;
  /** [async] resolves when the server stopped */ join(): Promise<void>;
  /** [sync] e.g. grpc://localhost:1234 */ target(): string;
  /** [async] makes the object unusable; a started TF server keeps serving until exit (TF cannot stop it) */ close(): Promise<void>;
}

export interface NativeCheckpointReader {
  /** [sync] */ variables(): Array<{ name: string; dtype: number; shape: number[] }>;
  /** [sync] */ tensor(name: string): RawTensor;
  /** [sync] */ close(): void;
}

/** A file written through TF's filesystem layer (any path TF's Env reaches); see native/writable_file.h. */
export interface NativeWritableFile {
  /** [sync] into TF's buffer for the file */ append(bytes: Uint8Array): void;
  /** [sync] flush, then wait until persisted (fsync) */ flushSync(): void;
  /** [async] as flushSync, on a pool thread */ flush(): Promise<void>;
  /** [sync] idempotent */ closeSync(): void;
  /** [async] idempotent */ close(): Promise<void>;
}

export interface Addon {
  load(frameworkPath: string, mainPath: string): string;
  /** Opens a library by absolute path (RTLD_GLOBAL), for good; "" or dlerror's text. */
  preload(path: string): string;
  /** Serialized KernelList of the op's registered kernels. */
  registeredKernelsForOp(op: string): Uint8Array;
  loadedPath(): string | null;
  setErrorFactory(f: (code: number, message: string) => Error): void;
  tfVersion(): string;
  allOpList(): Uint8Array;
  allocAligned(byteLength: number): ArrayBuffer;
  disposeBuffer(buffer: ArrayBuffer): boolean;
  /** A feed reused by every run (only for allocAligned memory, else null): no tensor made per run. */
  feedHandle(dtype: number, shape: number[], data: ArrayBufferView): FeedHandle | null;
  /** Drops the handle's tensor now (runs in flight keep theirs); later feeds of it are a TypeError. */
  releaseFeedHandle(handle: FeedHandle): void;
  dtypes: Record<string, number>;
  codes: Record<string, number>;
  NativeGraph: new () => NativeGraph;
  NativeSession: new (graph: NativeGraph, target: string, config: Uint8Array | null) => NativeSession;
  NativeServer: new (serverDef: Uint8Array) => NativeServer;
  NativeCheckpointReader: new (prefix: string) => NativeCheckpointReader;
  /** Creates or truncates the file. */
  NativeWritableFile: new (
    path: string,
  ) => NativeWritableFile;
  /** [sync] null when the path does not exist (TF's NOT_FOUND); other errors are thrown */
  fileStat(path: string): { length: number; isDirectory: boolean; mtimeNs: number } | null;
  /** [sync] one level; an existing path is TF's AlreadyExistsError */
  createDir(path: string): void;
  /** [sync] 0, 1, 2, ... for the whole process (all worker threads) */
  nextFileId(): number;
  // Through TF's Env, for paths with a scheme (native/tf_files.cc); errors are TF's typed errors.
  /** [sync] the whole file */
  readFile(path: string): Buffer;
  readFileAsync(path: string): Promise<Buffer>;
  /** [sync] replaces `to` */
  renameFile(from: string, to: string): void;
  renameFileAsync(from: string, to: string): Promise<void>;
  /** [sync] whether a rename onto `path`'s filesystem is atomic */
  hasAtomicMove(path: string): boolean;
  /** [sync] the registered schemes ('' and 'file' are local) */
  fileSystemSchemes(): string[];
  /** [sync] */
  deleteFile(path: string): void;
  /** [sync] an empty directory */
  deleteDir(path: string): void;
  /** [sync] */
  deleteRecursively(path: string): void;
  /** [sync] names in the directory */
  getChildren(dir: string): string[];
}

/** Thrown when no libtensorflow could be loaded; `candidates` lists every path tried and why. */
export class LibraryLoadError extends Error {
  readonly candidates: ReadonlyArray<{ path: string; reason: string }>;
  constructor(candidates: Array<{ path: string; reason: string }>) {
    const lines = candidates.map((c) => `  - ${c.path}: ${c.reason}`);
    super(
      'tf-monitored could not load libtensorflow. Tried, in order:\n' +
        lines.join('\n') +
        '\nFix: run `npx tf-monitored-setup` (or `node node_modules/tf-monitored/scripts/setup-libtensorflow.mjs`) ' +
        'to fetch the pinned CPU build with pip (`--gpu --and-cuda`: the CUDA build, README "GPU"), or set ' +
        'TF_LIBRARY_PATH to a libtensorflow_cc.so.2 / libtensorflow.so.2, or `pip install tensorflow`.',
    );
    this.name = 'LibraryLoadError';
    this.candidates = candidates;
  }
}

export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'tf-monitored') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`tf-monitored: cannot find the package root above ${__dirname}`);
    dir = up;
  }
}

const MAIN_NAMES = ['libtensorflow_cc.so.2', 'libtensorflow.so.2'];
const FRAMEWORK_NAME = 'libtensorflow_framework.so.2';

interface Candidate {
  main: string;
  framework: string;
  explicit: boolean;
  origin: string;
}

function candidatesIn(folder: string, explicit: boolean, origin: string): Candidate[] {
  return MAIN_NAMES.map((m) => ({ main: path.join(folder, m), framework: path.join(folder, FRAMEWORK_NAME), explicit, origin }));
}

function fromUserPath(p: string, origin: string): Candidate[] {
  try {
    if (fs.statSync(p).isDirectory()) return candidatesIn(p, true, origin);
  } catch {
    /* reported when tried */
  }
  return [{ main: p, framework: path.join(path.dirname(p), FRAMEWORK_NAME), explicit: true, origin }];
}

function pythonTensorflowDirs(): string[] {
  const code =
    'import importlib.util as u\nfor n in ("tensorflow",):\n  s=u.find_spec(n)\n  if s and s.submodule_search_locations: print(list(s.submodule_search_locations)[0])';
  for (const exe of [process.env.PYTHON, 'python3', 'python'].filter(Boolean) as string[]) {
    try {
      const out = execFileSync(exe, ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
      return out
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
    } catch {
      /* next */
    }
  }
  return [];
}

function worldWritable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return (st.mode & 0o002) !== 0;
  } catch {
    return false;
  }
}

// The CUDA build's folder first (`setup --gpu` made it: the user asked for it), then the CPU one's.
function cacheLibDirs(root: string): string[] {
  const pin = JSON.parse(fs.readFileSync(path.join(root, 'scripts', 'libtensorflow.json'), 'utf8'));
  const base = process.env.TF_MONITORED_CACHE_DIR || path.join(root, '.libtensorflow');
  const gpu = path.join(base, `${pin.gpuPipPackage}-${pin.version}`);
  const cpu = path.join(base, `${pin.pipPackage}-${pin.version}`, 'lib');
  return fs.existsSync(path.join(gpu, 'manifest.json')) ? [path.join(gpu, 'lib'), cpu] : [cpu];
}

let cudaReport: CudaLibraryReport | null = null;

// Opens the CUDA libraries found next to the TF library in `dir`; null when there is nothing to
// say (a CPU build, or no wheels and no sign of CUDA).
// Libraries in a world-writable folder are refused as TF itself is (unless the user named the TF).
function preloadCuda(addon: Addon, dir: string, explicit: boolean): CudaLibraryReport | null {
  const report = findCudaLibraries(dir);
  if (report.cudaBuild !== true && report.found.length === 0) return null;
  for (const f of report.found) {
    const libDir = path.dirname(f.path);
    const unsafe = explicit ? undefined : [libDir, path.dirname(libDir), path.dirname(path.dirname(libDir))].find(worldWritable);
    const why = unsafe
      ? `not opened: ${unsafe} is world-writable (name the library in TF_LIBRARY_PATH to use it anyway)`
      : addon.preload(f.path);
    if (why) f.error = why;
  }
  return report;
}

function tryLoad(addon: Addon, candidates: Candidate[], tried: Array<{ path: string; reason: string }>): string | null {
  for (const c of candidates) {
    if (c.main.includes('/')) {
      if (!fs.existsSync(c.main)) {
        tried.push({ path: c.main, reason: `not found (${c.origin})` });
        continue;
      }
      const main = fs.realpathSync(c.main);
      const dir = path.dirname(main);
      if (!c.explicit && worldWritable(dir)) {
        tried.push({ path: main, reason: `skipped: ${dir} is world-writable (name it in TF_LIBRARY_PATH to use it anyway)` });
        continue;
      }
      const fw = fs.existsSync(c.framework) ? fs.realpathSync(c.framework) : '';
      const cuda = preloadCuda(addon, dir, c.explicit);
      const why = addon.load(fw, main);
      if (!why) {
        cudaReport = cuda;
        return main;
      }
      tried.push({ path: main, reason: cuda ? [why, ...describeCudaReport(cuda)].join('\n    ') : why });
    } else {
      const why = addon.load(c.framework, c.main);
      if (!why) return c.main;
      tried.push({ path: c.main, reason: `${why} (${c.origin})` });
    }
  }
  return null;
}

export interface LoadOptions {
  /** A libtensorflow file or folder; overrides TF_LIBRARY_PATH and the search. */
  path?: string;
  /** Keep TF's own C++ logging (by default TF_CPP_MIN_LOG_LEVEL=2 unless already set). */
  verbose?: boolean;
}

let addonInstance: Addon | null = null;
let loadedFrom: string | null = null;

function loadAddon(): Addon {
  if (addonInstance) return addonInstance;
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => Addon;
  const addon = nodeGypBuild(packageRoot());
  addon.setErrorFactory(errorForCode);
  addonInstance = addon;
  return addon;
}

/**
 * Loads libtensorflow (once per process; later calls return the same path). Called lazily by
 * every API that needs TF; call it yourself to choose the library or to see where it came from.
 *
 * Order of the search (docs/design.md decision 2), each candidate recorded with why it failed:
 *   1. `loadLibtensorflow({ path })` or `TF_LIBRARY_PATH` (a library file or a folder)
 *   2. the package's own cache, filled by `scripts/setup-libtensorflow.mjs` (its CUDA build first)
 *   3. an installed Python `tensorflow`/`tensorflow-cpu` (found without importing it)
 *   4. the system's default library names (ld.so's search path)
 * Candidates 2–4 are skipped when they sit in a world-writable folder: only a path the user names
 * explicitly may come from one. Before a candidate is opened, the CUDA runtime libraries found in
 * the wheels next to it are opened by absolute path (lib/gpu/cuda-libraries.ts, docs/gpu.md).
 */
export function loadLibtensorflow(opts: LoadOptions = {}): string {
  const addon = loadAddon();
  const already = addon.loadedPath();
  if (already) return (loadedFrom = already);
  if (!opts.verbose && !process.env.TF_MONITORED_VERBOSE) {
    // TF reads these when it first logs; a worker thread's process.env does not reach C getenv,
    // so set them in the main thread (or the parent process) for workers.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  }
  const tried: Array<{ path: string; reason: string }> = [];
  const explicit = opts.path ?? process.env.TF_LIBRARY_PATH;
  let found: string | null = null;
  if (explicit) {
    found = tryLoad(addon, fromUserPath(explicit, opts.path ? 'option path' : 'TF_LIBRARY_PATH'), tried);
    // A path the user named that fails is an error: silently loading another TF would surprise.
    if (!found) throw new LibraryLoadError(tried);
  }
  if (!found) {
    const root = packageRoot();
    for (const dir of cacheLibDirs(root)) {
      found = tryLoad(addon, candidatesIn(dir, false, 'package cache'), tried);
      if (found) break;
    }
  }
  if (!found) {
    for (const dir of pythonTensorflowDirs()) {
      found = tryLoad(addon, candidatesIn(dir, false, 'Python tensorflow'), tried);
      if (found) break;
    }
  }
  if (!found) {
    found = tryLoad(
      addon,
      MAIN_NAMES.map((m) => ({ main: m, framework: FRAMEWORK_NAME, explicit: false, origin: 'system library path' })),
      tried,
    );
  }
  if (!found) throw new LibraryLoadError(tried);
  loadedFrom = found;
  // TF's own "Cannot dlopen some GPU libraries" is a warning, hidden at the default log level.
  if (cudaReport && process.env.TF_MONITORED_VERBOSE) process.stderr.write(`${describeCudaReport(cudaReport).join('\n')}\n`);
  return found;
}

/** The addon with libtensorflow loaded. */
export function native(): Addon {
  if (!loadedFrom) loadLibtensorflow();
  return addonInstance!;
}

/** The version string of the loaded libtensorflow (TF_Version()). */
export function tfVersion(): string {
  return native().tfVersion();
}

/**
 * The CUDA runtime libraries the loader found and opened for the loaded libtensorflow (null for a
 * CPU build, before loading, or when no wheels were next to it); `tf-monitored info` prints it.
 */
export function cudaLibraryReport(): CudaLibraryReport | null {
  return cudaReport;
}

/** The real path of the loaded libtensorflow, or null before loading. */
export function libraryPath(): string | null {
  return loadedFrom;
}
