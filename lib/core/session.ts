/**
 * Session: runs a Graph, in-process (`target: ''`) or on a TF master (`grpc://host:port`). `run` is
 * async (TF runs on a native thread), `runSync` blocks, for tight loops. Part of a `config` (thread
 * pools, GPU memory, NUMA) is applied once per process, by the first session that needs it; later
 * sessions' values are ignored: docs/process-wide-tf-state.md.
 */
import { ClosedError, InvalidArgumentError, invalidArgument } from './errors';
import { checkOptionNames } from './options';
import { Graph, Operation, Output } from './graph';
import { Tensor, type TensorLike } from './tensor';
import type { DType } from './dtypes';
import { serializeConfigProto, serializeRunOptions, type ConfigProtoInit, type RunOptionsInit } from './config';
import { native, type NativeSession, type FlatTensors, type RunPlan, type RawTensor } from '../native';
import { RunScheduler, newRunTiming, type RunMode, type RunTiming } from './run-scheduler';
import type { MaybePromise } from './maybe-promise';

export type Fetch = string | Output | Operation | null | readonly Fetch[] | { readonly [key: string]: Fetch };
export type FetchResult<F> = F extends string | Output
  ? Tensor | null
  : F extends Operation | null
    ? null
    : F extends readonly (infer E)[]
      ? FetchResult<E>[]
      : F extends { readonly [key: string]: Fetch }
        ? { [K in keyof F]: FetchResult<F[K]> }
        : unknown;
export type Feeds = Record<string, TensorLike> | Map<string | Output | Operation, TensorLike>;

export type { ConfigProtoInit, RunOptionsInit };
/** Python's run_metadata out-parameter: `bytes` holds the serialized RunMetadata after the run. */
export interface RunMetadataSink {
  bytes?: Uint8Array;
}
export interface RunCallOptions {
  options?: RunOptionsInit | null;
  runMetadata?: RunMetadataSink | null;
}

export interface SessionOptions {
  /** '' (in-process, default) or 'grpc://host:port'. */
  target?: string;
  /** ConfigProto as a plain camelCase object, a message, or serialized bytes. */
  config?: ConfigProtoInit | Uint8Array | null;
  /**
   * Where `run()` executes (lib/core/run-scheduler.ts): `'async'` (default: always off the JS
   * thread), `'auto'` (runs expected to be shorter than `maxBlockMs` on the JS thread, longer ones
   * off it), `'sync'` (always on the JS thread). `run()` returns a Promise in every mode.
   */
  runMode?: RunMode;
  /** With `'auto'`/`'sync'`: the longest stretch of blocking runs between turns of the event loop. Default 10. */
  maxBlockMs?: number;
}

// Flattened form of a fetch structure: tensor names to fetch, op names to run as targets.
interface Flat {
  tensors: string[];
  targets: string[];
  // Rebuilds the caller's structure from the fetched tensors.
  build: (outs: Tensor[]) => unknown;
  // The part of a plan key that comes from the fetches.
  key: string;
  // The plan of the last run of these fetches, with the feed names it was made for.
  lastPlan: { feedNames: string[]; plan: Plan } | null;
}

/** A fetch object seen before: its flattened form and a copy of its content (see Session#flatten). */
interface FetchMemo {
  obj: object;
  flat: Flat;
  snapshot: unknown;
}

/** The snapshot of an Output or Operation fetch: nothing to compare, it cannot change. */
const IMMUTABLE = Symbol('immutable');

// Fetch structures are cached by a key that describes them: a training loop usually writes
// `sess.run({ loss: 'loss:0', train: 'train' }, ...)`, a new object each step with the same
// content, so the key is the content (JSON, with Output/Operation leaves written as their names
// through their toJSON), not the object's identity. JSON.stringify is native and fast.
function fetchKey(f: Fetch): string {
  if (typeof f === 'string') return f;
  try {
    return JSON.stringify(f);
  } catch (e) {
    // A cycle or a leaf JSON cannot write (a bigint): not a fetch structure anyway.
    throw invalidArgument('fetches', `a fetch structure without cycles (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, f);
  }
}

// A copy of a fetch structure's containers (leaves kept by identity), and the comparison with it.
function snapshotOf(f: unknown): unknown {
  if (Array.isArray(f)) return f.map(snapshotOf);
  if (f !== null && typeof f === 'object' && !(f instanceof Output) && !(f instanceof Operation)) {
    const o: Record<string, unknown> = {};
    for (const k in f as Record<string, unknown>) o[k] = snapshotOf((f as Record<string, unknown>)[k]);
    return o;
  }
  return f;
}

function sameAsSnapshot(snap: unknown, f: unknown): boolean {
  if (snap === f) return true;
  if (Array.isArray(snap)) {
    if (!Array.isArray(f) || f.length !== snap.length) return false;
    for (let i = 0; i < snap.length; i++) if (!sameAsSnapshot(snap[i], f[i])) return false;
    return true;
  }
  if (snap === null || typeof snap !== 'object' || snap instanceof Output || snap instanceof Operation) return false;
  if (f === null || typeof f !== 'object' || Array.isArray(f)) return false;
  let n = 0;
  for (const k in f as Record<string, unknown>) {
    if (!(k in (snap as object)) || !sameAsSnapshot((snap as Record<string, unknown>)[k], (f as Record<string, unknown>)[k])) return false;
    n++;
  }
  return n === Object.keys(snap as object).length;
}

interface FeedInfo {
  name: string;
  dtype: DType;
  shape: number[] | null;
  param: string;
}

const TENSOR_NAME = /:\d+$/;

function flattenFetches(graph: Graph, fetches: Fetch): Flat {
  const tensors: string[] = [];
  const targets: string[] = [];
  const tensorIndex = new Map<string, number>();
  const addTensor = (name: string): number => {
    let i = tensorIndex.get(name);
    if (i === undefined) {
      i = tensors.length;
      tensors.push(name);
      tensorIndex.set(name, i);
    }
    return i;
  };
  const addTarget = (name: string) => {
    if (!targets.includes(name)) targets.push(name);
  };
  const walk = (f: Fetch, where: string): ((outs: Tensor[]) => unknown) => {
    if (f === null) return () => null;
    if (typeof f === 'string') {
      if (TENSOR_NAME.test(f)) {
        const i = addTensor(f);
        return (outs) => outs[i];
      }
      addTarget(f);
      return () => null;
    }
    if (f instanceof Output) {
      const i = addTensor(graph.tensorName(f, `fetches${where}`));
      return (outs) => outs[i];
    }
    if (f instanceof Operation) {
      addTarget(graph.opName(f, `fetches${where}`));
      return () => null;
    }
    if (Array.isArray(f)) {
      const parts = f.map((x, i) => walk(x, `${where}[${i}]`));
      return (outs) => parts.map((p) => p(outs));
    }
    if (
      (typeof f === 'object' && Object.getPrototypeOf(f) === Object.prototype) ||
      (typeof f === 'object' && Object.getPrototypeOf(f) === null)
    ) {
      const entries = Object.entries(f as Record<string, Fetch>).map(([k, v]) => {
        // Reserved for Output/Operation in the cache key (see fetchKey).
        if (k.startsWith('\u0000')) throw invalidArgument(`fetches${where}`, 'keys that do not start with a NUL character', k);
        return [k, walk(v, `${where}.${k}`)] as const;
      });
      return (outs) => {
        const o: Record<string, unknown> = {};
        for (const [k, p] of entries) o[k] = p(outs);
        return o;
      };
    }
    throw invalidArgument(
      `fetches${where}`,
      "a tensor name ('x:0'), an operation name, an Output, an Operation, or arrays/objects of those",
      f,
    );
  };
  const build = walk(fetches, '');
  return { tensors, targets, build, key: `${tensors.join(',')}|${targets.join(',')}`, lastPlan: null };
}

/** A prepared run: the addon's plan, and per fetched tensor its dtype and fully known static shape. */
interface Plan {
  native: RunPlan;
  dtypes: DType[];
  shapes: Array<number[] | null>;
  /** How long this plan's runs took (for the run scheduler's choice of thread). */
  timing: RunTiming;
  /**
   * For each fetched tensor that is also fed, the index of its feed (else -1); null when none is.
   * Python's Session.run returns a fed value for such a fetch, where TF refuses to fetch a fed
   * tensor: those are left out of the TF run and answered from the feeds. `dtypes`/`shapes` then
   * describe only the tensors TF fetches.
   */
  fed: Int32Array | null;
  /** Nothing left for TF to do (every fetch fed, no target): no TF run at all. */
  skip: boolean;
}

/** The result of a run that was not made (every fetch was fed). */
const NO_RUN: FlatTensors = [];

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function shapeCompatible(staticShape: number[] | null, shape: number[]): boolean {
  if (staticShape === null) return true;
  if (staticShape.length !== shape.length) return false;
  for (let i = 0; i < shape.length; i++) if (staticShape[i] !== -1 && staticShape[i] !== shape[i]) return false;
  return true;
}

function canSetBytes(sink: object): boolean {
  const own = Object.getOwnPropertyDescriptor(sink, 'bytes');
  return own ? Boolean(own.writable || own.set) : Object.isExtensible(sink);
}

function fmtShape(s: number[] | null): string {
  return s === null ? '<unknown>' : `(${s.map((d) => (d === -1 ? '?' : String(d))).join(', ')}${s.length === 1 ? ',' : ''})`;
}

/** A run with its fetches flattened, its feeds converted and its plan found. */
type Prepared = ReturnType<Session['prepare']>;

/**
 * A TF session over a Graph. `run` and `runSync` take Python-style nested fetches and return the
 * same structure. A string with ':<n>' (or an Output) fetches a tensor; a plain name (or an
 * Operation) runs the operation and yields null, as in Python.
 *
 * ```ts
 * const { loss } = await sess.run({ loss: 'loss:0', step: 'train' }, { 'x:0': xs });
 * ```
 */
export class Session {
  readonly graph: Graph;
  readonly target: string;
  private nativeSession: NativeSession | null;
  private readonly plans = new Map<string, Plan>();
  private readonly feedInfo = new Map<string, FeedInfo>();
  private readonly fetchCache = new Map<string, Flat>();
  /** Fetch objects seen before, by identity (see flatten). */
  private readonly fetchMemo = new WeakMap<object, FetchMemo>();
  private lastFetch: FetchMemo | null = null;
  private closing: Promise<void> | null = null;
  /** Where `run()` executes; see SessionOptions.runMode. */
  readonly scheduler: RunScheduler;

  constructor(graph: Graph, opts: SessionOptions = {}) {
    if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
    if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object ({ target, config })', opts);
    checkOptionNames(opts, ['target', 'config', 'runMode', 'maxBlockMs'] satisfies Array<keyof SessionOptions>, 'Session');
    const target = opts.target ?? '';
    if (typeof target !== 'string') throw invalidArgument('target', "a master string ('' or 'grpc://host:port')", target);
    const config = opts.config ? serializeConfigProto(opts.config, 'config') : null;
    this.scheduler = new RunScheduler(opts.runMode ?? 'async', opts.maxBlockMs ?? undefined);
    this.graph = graph;
    this.target = target;
    this.nativeSession = new (native().NativeSession)(graph.native, target, config);
  }

  /** Same as the constructor, as a Promise (for symmetry with `close`). */
  static async create(graph: Graph, opts: SessionOptions = {}): Promise<Session> {
    return new Session(graph, opts);
  }

  get closed(): boolean {
    return this.nativeSession === null;
  }

  private live(): NativeSession {
    if (!this.nativeSession) throw new ClosedError('Session');
    return this.nativeSession;
  }

  private flatten(fetches: Fetch): Flat {
    if (fetches === null || typeof fetches !== 'object') return this.flatFor(fetches);
    // Fast path for fetch objects that come back step after step (the monitored session passes
    // the same combined fetch each step, and its hooks the same global-step Output in between),
    // found by identity. An Output or Operation cannot change; a container is compared to a copy
    // of its content, which costs no allocation, so a caller that mutates it still gets what it
    // now asks for. The copy is taken only when the same object comes back, so callers that build
    // a new literal each step pay nothing extra. The last one is checked first: a plain loop then
    // pays no WeakMap lookup.
    const memo = this.lastFetch !== null && this.lastFetch.obj === fetches ? this.lastFetch : this.fetchMemo.get(fetches);
    if (memo !== undefined && memo.snapshot !== undefined && (memo.snapshot === IMMUTABLE || sameAsSnapshot(memo.snapshot, fetches))) {
      this.lastFetch = memo;
      return memo.flat;
    }
    const flat = this.flatFor(fetches);
    const snapshot =
      fetches instanceof Output || fetches instanceof Operation ? IMMUTABLE : memo !== undefined ? snapshotOf(fetches) : undefined;
    const entry = { obj: fetches, flat, snapshot };
    this.fetchMemo.set(fetches, entry);
    this.lastFetch = entry;
    return flat;
  }

  /** The flattened fetch, cached by its content (see fetchKey). */
  private flatFor(fetches: Fetch): Flat {
    const key = fetchKey(fetches);
    let flat = this.fetchCache.get(key);
    if (!flat) {
      flat = flattenFetches(this.graph, fetches);
      if (this.fetchCache.size > 1024) this.fetchCache.clear();
      this.fetchCache.set(key, flat);
    }
    return flat;
  }

  private feedMeta(key: string | Output | Operation): FeedInfo {
    // An Output of another graph must not find the cached entry of a same-named tensor of this one.
    if ((key instanceof Output || key instanceof Operation) && key.graph !== this.graph) this.graph.tensorName(key, 'feeds');
    const cacheKey = typeof key === 'string' ? key : key.name;
    let m = this.feedInfo.get(cacheKey);
    if (!m) {
      const name = this.graph.tensorName(key, 'feeds');
      const out = this.graph.tensor(name);
      m = { name, dtype: out.dtype, shape: out.shape, param: `feeds['${name}']` };
      this.feedInfo.set(cacheKey, m);
    }
    return m;
  }

  private addFeed(key: string | Output | Operation, value: TensorLike, names: string[], flatFeeds: FlatTensors, values: Tensor[]): void {
    const info = this.feedMeta(key);
    const t = value instanceof Tensor ? value : Tensor.from(value, info.dtype, info.param);
    if (t.dtype !== info.dtype) {
      throw new InvalidArgumentError(`Cannot feed a ${t.dtype} value to tensor '${info.name}', which has dtype ${info.dtype}.`);
    }
    if (!shapeCompatible(info.shape, t.shape)) {
      throw new InvalidArgumentError(
        `Cannot feed value of shape ${fmtShape(t.shape)} for Tensor '${info.name}', which has shape ${fmtShape(info.shape)}`,
      );
    }
    names.push(info.name);
    values.push(t);
    t.pushParts(flatFeeds);
  }

  private prepare(fetches: Fetch, feeds: Feeds | undefined, opts: RunCallOptions | undefined) {
    const s = this.live();
    const flat = this.flatten(fetches);
    const feedNames: string[] = [];
    const feedTensors: FlatTensors = [];
    const feedValues: Tensor[] = [];
    if (feeds !== undefined && feeds !== null) {
      // A string would be walked as an object of characters ('0' → tensor '0:0').
      if (typeof feeds !== 'object' || Array.isArray(feeds) || ArrayBuffer.isView(feeds)) {
        throw invalidArgument('feeds', "an object or Map of feeds ({ 'x:0': value })", feeds);
      }
      if (feeds instanceof Map) {
        for (const [key, value] of feeds) this.addFeed(key, value, feedNames, feedTensors, feedValues);
      } else {
        for (const key in feeds) this.addFeed(key, feeds[key], feedNames, feedTensors, feedValues);
      }
    }
    const plan = this.planFor(s, flat, feedNames);
    let optionBytes: Uint8Array | null = null;
    if (opts?.options) optionBytes = serializeRunOptions(opts.options, 'options');
    const sink = opts?.runMetadata ?? null;
    // Checked before the run: a sink that cannot take `bytes` would fail after the run had its effects.
    if (sink !== null && (typeof sink !== 'object' || !canSetBytes(sink)))
      throw invalidArgument('runMetadata', 'a writable object to receive { bytes }', sink);
    // The addon's arguments after the plan: the feeds, then the options only when there are some.
    if (optionBytes !== null || sink !== null) feedTensors.push(optionBytes, sink !== null);
    return { s, plan, args: feedTensors, sink, flat, feedValues };
  }

  private planFor(s: NativeSession, flat: Flat, feedNames: string[]): Plan {
    // A loop runs the same fetches with the same feeds each step: the fetch's previous plan,
    // checked name by name, saves building and hashing the key string.
    const last = flat.lastPlan;
    if (last !== null && sameStrings(last.feedNames, feedNames)) return last.plan;
    const key = feedNames.length ? `${feedNames.join(',')}|${flat.key}` : flat.key;
    let plan = this.plans.get(key);
    if (!plan) {
      let fed: Int32Array | null = null;
      for (let i = 0; i < flat.tensors.length; i++) {
        const f = feedNames.indexOf(flat.tensors[i]);
        if (f < 0) continue;
        fed ??= new Int32Array(flat.tensors.length).fill(-1);
        fed[i] = f;
      }
      const fetched = fed === null ? flat.tensors : flat.tensors.filter((_, i) => fed![i] < 0);
      const outs = fetched.map((n) => this.graph.tensor(n));
      plan = {
        native: s.prepare(feedNames, fetched, flat.targets),
        dtypes: outs.map((o) => o.dtype),
        // The addon leaves out a shape equal to this one (fully known: no -1, known rank).
        shapes: outs.map((o) => {
          const sh = o.shape;
          return sh?.every((d) => d >= 0) ? sh : null;
        }),
        timing: newRunTiming(),
        fed,
        skip: fetched.length === 0 && flat.targets.length === 0 && flat.tensors.length > 0,
      };
      if (this.plans.size > 512) this.plans.clear();
      this.plans.set(key, plan);
    }
    flat.lastPlan = { feedNames, plan };
    return plan;
  }

  private static finish<F>(r: FlatTensors, p: Prepared): FetchResult<F> {
    const { plan, flat, sink } = p;
    const n = plan.dtypes.length;
    if (sink && r.length > 2 * n) sink.bytes = r[2 * n] as Uint8Array;
    const outs = new Array<Tensor>(flat.tensors.length);
    const fed = plan.fed;
    for (let i = 0, j = 0; i < outs.length; i++) {
      if (fed !== null && fed[i] >= 0) {
        outs[i] = p.feedValues[fed[i]];
        continue;
      }
      const shape = (r[2 * j] as number[] | undefined) ?? plan.shapes[j]!.slice();
      outs[i] = Tensor.fromParts(plan.dtypes[j]!, shape, r[2 * j + 1] as RawTensor['data']);
      j++;
    }
    return flat.build(outs) as FetchResult<F>;
  }

  /** The prepared run, on the JS thread (nothing when every fetch was fed). */
  private static execSync(p: Prepared): FlatTensors {
    return p.plan.skip ? NO_RUN : p.s.runSync(p.plan.native, ...p.args);
  }

  /**
   * Runs the graph: computes `fetches` given `feeds`. Rejects with a typed TFError. Where TF runs
   * (off the JS thread, or on it) follows the session's `runMode`.
   */
  run<F extends Fetch>(fetches: F, feeds?: Feeds, opts?: RunCallOptions): Promise<FetchResult<F>> {
    try {
      if (this.scheduler.mode === 'async') return this.runOnPool<F>(this.prepare(fetches, feeds, opts));
      const r = this.runWith<F>(this.scheduler, fetches, feeds, opts);
      return r instanceof Promise ? r : Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The run, placed by `scheduler` (on the JS thread, or on the pool, or after a turn of the event
   * loop): its result now when it ran on the JS thread, else a Promise. The monitored session
   * passes its own scheduler, shared by its steps and its hooks' runs.
   */
  runWith<F extends Fetch>(scheduler: RunScheduler, fetches: F, feeds?: Feeds, opts?: RunCallOptions): MaybePromise<FetchResult<F>> {
    const p = this.prepare(fetches, feeds, opts);
    const timing = p.plan.timing;
    const place = scheduler.place(timing);
    if (place === 'thread') {
      const t0 = scheduler.now();
      const r = Session.execSync(p);
      scheduler.record(timing, scheduler.now() - t0);
      return Session.finish<F>(r, p);
    }
    if (place === 'yield') return scheduler.yieldTurn().then(() => this.runWith<F>(scheduler, fetches, feeds, opts));
    const t0 = scheduler.now();
    return this.runOnPool<F>(p).then(
      (r) => {
        scheduler.record(timing, scheduler.now() - t0, true);
        scheduler.turned();
        return r;
      },
      (e) => {
        scheduler.turned();
        throw e;
      },
    );
  }

  private async runOnPool<F extends Fetch>(p: Prepared): Promise<FetchResult<F>> {
    let r: FlatTensors;
    try {
      r = p.plan.skip ? NO_RUN : await p.s.run(p.plan.native, ...p.args);
    } catch (e) {
      // The native error was made on a completion callback, with no user frames. A stack taken
      // here, after the await, has the caller's frames through V8's async stack traces; taking
      // it before every run would cost microseconds per step.
      const here = new Error();
      if (e instanceof Error && here.stack) e.stack = `${e.name}: ${e.message}\n${here.stack.split('\n').slice(1).join('\n')}`;
      throw e;
    }
    return Session.finish<F>(r, p);
  }

  /** Like `run`, blocking the thread until TF returns. Outputs are copied. */
  runSync<F extends Fetch>(fetches: F, feeds?: Feeds, opts?: RunCallOptions): FetchResult<F> {
    const p = this.prepare(fetches, feeds, opts);
    return Session.finish<F>(Session.execSync(p), p);
  }

  /** The devices this session can use. */
  listDevices(): Array<{ name: string; type: string; memoryBytes: number }> {
    return this.live().listDevices();
  }

  /** Number of runs in flight. */
  get inFlight(): number {
    return this.nativeSession?.inFlight() ?? 0;
  }

  /**
   * Cancels runs in flight (they reject with CancelledError), waits for them, frees the session.
   * Idempotent; later runs throw ClosedError.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const s = this.nativeSession;
    this.nativeSession = null;
    this.plans.clear();
    this.closing = s ? s.close() : Promise.resolve();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
