/**
 * The raw C baseline: builds a C program against the libtensorflow the addon loaded (same files,
 * found through the addon, linked with an rpath so the program loads exactly them), and drives
 * bench/raw_loop.c through its line protocol.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { loadLibtensorflow } from '../../lib/native';
import { PACKAGE_ROOT } from './options';

export interface TfLocation {
  /** Real path of the main library the addon loaded (libtensorflow_cc.so.2 or libtensorflow.so.2). */
  mainLib: string;
  /** Its folder, or null when the addon found it by bare name on ld.so's search path. */
  libDir: string | null;
  frameworkLib: string | null;
  includeDir: string;
}

/** Where the addon's libtensorflow is, and headers to compile C against it. */
export function tfLocation(): TfLocation {
  const mainLib = loadLibtensorflow();
  const libDir = mainLib.includes('/') ? path.dirname(mainLib) : null;
  const fw = libDir ? path.join(libDir, 'libtensorflow_framework.so.2') : null;
  let includeDir = process.env.TF_INCLUDE_DIR ?? '';
  if (!includeDir) {
    includeDir = execFileSync(process.execPath, [path.join(PACKAGE_ROOT, 'scripts', 'setup-libtensorflow.mjs'), '--print-include'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  }
  if (!fs.existsSync(path.join(includeDir, 'tensorflow', 'c', 'c_api.h'))) {
    throw new Error(`bench: no tensorflow/c/c_api.h under '${includeDir}' (run \`npm run setup\`, or set TF_INCLUDE_DIR)`);
  }
  return { mainLib, libDir, frameworkLib: fw && fs.existsSync(fw) ? fw : null, includeDir };
}

export interface BuiltProgram {
  exe: string;
  /** false when an up-to-date build was reused. */
  built: boolean;
  ms: number;
  command: string;
}

/**
 * Compiles one C file of bench/ into `outDir` against the addon's libtensorflow. Reuses the
 * previous build when the source, the flags and the library are unchanged. Uses gold when the
 * compiler accepts it (links in ~2 s instead of ~14 s). CC overrides the compiler.
 */
export function buildCProgram(source: string, outDir: string, tf: TfLocation = tfLocation()): BuiltProgram {
  fs.mkdirSync(outDir, { recursive: true });
  const exe = path.join(outDir, path.basename(source).replace(/\.c$/, ''));
  const cc = process.env.CC || 'cc';
  const libs: string[] = [];
  if (tf.libDir) libs.push(`-L${tf.libDir}`);
  libs.push(`-l:${path.basename(tf.mainLib)}`);
  if (tf.frameworkLib) libs.push(`-l:${path.basename(tf.frameworkLib)}`);
  // DT_RPATH (not RUNPATH): LD_LIBRARY_PATH cannot swap in another libtensorflow.
  if (tf.libDir) libs.push(`-Wl,-rpath,${tf.libDir}`, '-Wl,--disable-new-dtags');
  libs.push('-ldl');
  const base = ['-O2', '-std=c11', '-Wall', `-I${tf.includeDir}`, source, '-o'];
  const stamp = crypto
    .createHash('sha256')
    .update(fs.readFileSync(source))
    .update(JSON.stringify([cc, base, libs, fs.statSync(tf.mainLib, { throwIfNoEntry: false })?.mtimeMs ?? 0]))
    .digest('hex');
  const stampFile = `${exe}.stamp`;
  if (fs.existsSync(exe) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    return { exe, built: false, ms: 0, command: '' };
  }
  const tmp = `${exe}.${process.pid}.tmp`;
  const t0 = Date.now();
  let lastError = '';
  for (const ld of [['-fuse-ld=gold'], []]) {
    const args = [...base, tmp, ...libs, ...ld];
    try {
      execFileSync(cc, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      fs.renameSync(tmp, exe); // atomic: a concurrent bench never runs a half-written file
      fs.writeFileSync(stampFile, stamp);
      return { exe, built: true, ms: Date.now() - t0, command: `${cc} ${args.join(' ')}` };
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      lastError = `${cc} ${args.join(' ')}\n${err.stderr || err.message}`;
    }
  }
  fs.rmSync(tmp, { force: true });
  throw new Error(`bench: building ${path.basename(source)} failed:\n${lastError}`);
}

/** A feed of raw_loop: float32 1, 2, 3... ('float', the default), float32 (i % 251) / 251 ('unit'), int32 i % 10 ('label'). */
export interface RawFeed {
  name: string;
  dims: number[];
  fill?: 'float' | 'unit' | 'label';
}

export interface RawRunSpec {
  /** Timed runs. */
  iters: number;
  /**
   * 'reuse': one tensor per feed for all runs; 'fresh': a new feed tensor filled each run; 'copy':
   * a new feed tensor each run, memcpy'd from values filled once.
   */
  mode: 'reuse' | 'fresh' | 'copy';
  /** One feed, or none. */
  feed?: RawFeed;
  /** Several feeds (instead of `feed`). */
  feeds?: RawFeed[];
  /** 'peek' (default): read each output's first element; 'copy': also copy each output out. */
  out?: 'peek' | 'copy';
  /** Sample the process's RSS after every run and report its peak. */
  rss?: boolean;
  fetches: string[];
  targets: string[];
  /** A second run in each iteration, without feeds (a monitored step's global-step read). */
  then?: { fetches: string[]; targets: string[] };
}

/** A running raw_loop process: one session on one graph and config, timing loops on request. */
export class RawLoop {
  readonly version: string;
  /** The library file the program loaded TF_Version from (dladdr). */
  readonly loadedLib: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams, lines: AsyncIterator<string>, ready: string) {
    this.child = child;
    this.lines = lines;
    const [, version, ...lib] = ready.split(' ');
    this.version = version;
    this.loadedLib = lib.join(' ');
  }

  /** Starts `exe graph config init` and waits until the session is up. */
  static async start(exe: string, graphFile: string, configFile: string, initOps: string[]): Promise<RawLoop> {
    const child = spawn(exe, [graphFile, configFile, initOps.length ? initOps.join(',') : '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done || !first.value.startsWith('ready ')) {
      child.kill();
      throw new Error(`bench: ${path.basename(exe)} did not start: ${first.value ?? ''}${stderr}`);
    }
    const loop = new RawLoop(child, lines, first.value);
    loop.stderr = stderr;
    child.stderr.on('data', (d: string) => {
      loop.stderr += d;
    });
    return loop;
  }

  /** µs per run of one timed loop (wall clock). */
  async run(spec: RawRunSpec): Promise<number> {
    return (await this.runTimed(spec)).wallUs;
  }

  /** µs per run of one timed loop: wall clock, and CPU time of the whole process. */
  async runTimed(spec: RawRunSpec): Promise<{ wallUs: number; cpuUs: number; peakRssBytes: number }> {
    const list = (xs: readonly (string | number)[]) => (xs.length ? xs.join(',') : '-');
    const feeds = spec.feeds ?? (spec.feed ? [spec.feed] : []);
    const feedList = list(feeds.map((f) => (f.fill && f.fill !== 'float' ? `${f.name}@${f.fill}` : f.name)));
    const dimsList = feeds.length ? feeds.map((f) => f.dims.join(',')).join('/') : '-';
    const cmd = ['run', spec.iters, spec.mode, feedList, dimsList, list(spec.fetches), list(spec.targets)];
    if (spec.then) cmd.push(list(spec.then.fetches), list(spec.then.targets));
    if (spec.out === 'copy') cmd.push('out=copy');
    if (spec.rss) cmd.push('rss=1');
    this.child.stdin.write(`${cmd.join(' ')}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error(`bench: raw_loop exited: ${this.stderr}`);
    const [status, ns, ...rest] = r.value.split(' ');
    if (status !== 'ok') throw new Error(`bench: raw_loop: ${[ns, ...rest].join(' ')}`);
    return { wallUs: Number(ns) / 1000 / spec.iters, cpuUs: Number(rest[1]) / 1000 / spec.iters, peakRssBytes: Number(rest[2] ?? 0) };
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}

/**
 * Builds bench/raw_loop.c against the library the addon loaded, or says why it could not:
 * `{ exe, unavailable }` where exactly one is set (a benchmark then prints 'no build' cells).
 */
export function tryBuildRawLoop(benchRoot: string, outDir: string, tf: TfLocation): { exe: string | null; unavailable: string } {
  try {
    const b = buildCProgram(`${benchRoot}/raw_loop.c`, outDir, tf);
    if (b.built) console.error(`[bench] built ${b.exe} in ${b.ms} ms`);
    return { exe: b.exe, unavailable: 'n/a' };
  } catch (e) {
    console.error(`[bench] raw C loop unavailable: ${(e as Error).message}`);
    return { exe: null, unavailable: 'no build' };
  }
}
