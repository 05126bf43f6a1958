/**
 * The wrapper that calls the hooks around each run (Python's `_HookedSession`).
 */
import { RuntimeError, invalidArgument } from '../core/errors';
import { type MaybePromise, isThenable } from '../core/maybe-promise';
import { SessionRunArgs, SessionRunContext, SessionRunValues, type SessionRunHookLike } from '../hooks/session-run-hook';
import { canonicalTensorName } from '../core/fetches';
import {
  type FeedDict,
  type FetchStructure,
  RUN_MAYBE_SYNC,
  type RunCallOptions,
  type RunMetadataSink,
  type RunOptionsInit,
  type SessionLike,
} from '../core/session-like';
import { WrappedSession } from './wrapped-session';
import { type RunScheduler, newRunTiming } from '../core/run-scheduler';

/** The key of the user's fetches in the combined fetch; hooks' fetches sit beside it. */
const CALLER = 'caller';
const hookKey = (i: number) => `hook:${i}`;

/**
 * Runs the hooks around each call to the raw session: `beforeRun` of every hook (collecting fetches,
 * feeds and options), one run of the raw session, then `afterRun` of every hook with its own results.
 * A stop requested by a hook makes `shouldStop()` true after that run.
 */
export class HookedSession extends WrappedSession {
  private stop = false;
  /** The combined fetch of the previous run: reused when a run asks for the very same fetches. */
  private lastFetches: Record<string, FetchStructure> | null = null;

  /** Places the runs (JS thread or pool), or null: every run is the raw session's async `run`. */
  private readonly scheduler: RunScheduler | null;
  /** The session hooks see in their run context: the raw one, or one whose runs the scheduler places. */
  private readonly hookSession: SessionLike;

  /**
   * With a scheduler in mode 'auto' or 'sync', the hooked runs and the hooks' own runs
   * (`runContext.session.run`) go through it: on the JS thread when it says so (as every run is in
   * Python: an async run on a trigger step cost ~0.5–1 ms of thread wake-ups, measured), with a
   * turn of the event loop at least every `maxBlockMs`. One scheduler for both, so a step that
   * also saves a checkpoint is counted whole.
   */
  constructor(
    session: SessionLike,
    private readonly hooks: readonly SessionRunHookLike[],
    opts: { scheduler?: RunScheduler | null } = {},
  ) {
    super(session);
    const scheduler = opts.scheduler ?? null;
    const canPlace = typeof session.runWith === 'function' || (scheduler?.mode === 'sync' && typeof session.runSync === 'function');
    this.scheduler = scheduler !== null && scheduler.mode !== 'async' && canPlace ? scheduler : null;
    this.hookSession = this.scheduler ? scheduledRuns(session, this.scheduler) : session;
  }

  /** Whether a hook has asked to stop. */
  get stopRequested(): boolean {
    return this.stop;
  }

  override checkStop(): boolean {
    return this.stop;
  }

  /**
   * `opts.options`, when given, is changed in place by the hooks' options (as in Python), and is
   * what the hooks see in `SessionRunValues.options`. Run metadata: see runRaw().
   *
   * Synchronous for as long as every part is: a hook whose `beforeRun`/`afterRun` returns a Promise,
   * or an async raw run, makes the rest of the step continue asynchronously (same order, same calls).
   */
  override step(fetches: FetchStructure, feeds?: FeedDict, opts: RunCallOptions = {}): MaybePromise<unknown> {
    if (fetches === null || fetches === undefined)
      throw invalidArgument('fetches', 'a tensor or op (name, Output, Operation) or a list/object of them', fetches);
    if (this.shouldStop()) throw new RuntimeError('Run called even after should_stop requested.');
    const run: HookedRun = {
      context: new SessionRunContext(new SessionRunArgs(fetches, feeds ?? null), this.hookSession),
      fetches: { [CALLER]: fetches },
      userFeeds: feeds,
      hookFeeds: null,
      options: opts.options ?? {},
      opts,
      runMetadata: EMPTY_METADATA,
    };
    const hooks = this.hooks;
    for (let i = 0; i < hooks.length; i++) {
      const request = hooks[i].beforeRun?.(run.context);
      if (isThenable(request)) return this.finishBeforeRunsAsync(run, i, request);
      collectRequest(run, i, request);
    }
    const outputs = this.runRaw(run);
    if (isThenable(outputs)) return Promise.resolve(outputs).then((o) => this.afterRuns(run, o));
    return this.afterRuns(run, outputs);
  }

  private async finishBeforeRunsAsync(run: HookedRun, i: number, pending: PromiseLike<unknown>): Promise<unknown> {
    collectRequest(run, i, await pending);
    for (let j = i + 1; j < this.hooks.length; j++) collectRequest(run, j, await this.hooks[j].beforeRun?.(run.context));
    return this.afterRuns(run, await this.runRaw(run));
  }

  /** The run of the raw session with the hooks' fetches, feeds and options merged in. */
  private runRaw(run: HookedRun): MaybePromise<unknown> {
    const { options, opts } = run;
    const feed = mergedFeeds(run.userFeeds, run.hookFeeds);
    // Python always collects RunMetadata (docs/python-parity.md §2.4). TF fills it only when tracing or partition
    // graphs are asked for; otherwise it is empty, so it is requested only then (or when the caller
    // passed a sink) and hooks get an empty one — the same content without serializing and copying
    // an empty message on every step.
    const wanted = opts.runMetadata != null || wantsMetadata(options as Record<string, unknown>);
    if (wanted) run.runMetadata = opts.runMetadata ?? {};
    else run.runMetadata = { bytes: EMPTY };
    // The same object for the same fetches lets the session reuse its flattened fetch plan; and
    // empty options are not sent (they would be serialized for nothing).
    const fetch = this.sameAsLast(run.fetches) ? this.lastFetches! : (this.lastFetches = run.fetches);
    const sink = wanted ? run.runMetadata : undefined;
    const runOpts = hasKeys(options) || opts.options ? { options, runMetadata: sink } : { runMetadata: sink };
    const raw = this.inner as SessionLike;
    if (this.scheduler === null) return raw.run(fetch, feed, runOpts);
    return runScheduled(raw, this.scheduler, fetch, feed, runOpts);
  }

  /** Each hook's `afterRun` with its own results; then the caller's results. */
  private afterRuns(run: HookedRun, outputs: unknown): MaybePromise<unknown> {
    const hooks = this.hooks;
    for (let i = 0; i < hooks.length; i++) {
      const done = hooks[i].afterRun?.(run.context, this.valuesFor(run, outputs, i));
      if (isThenable(done)) return this.afterRunsAsync(run, outputs, i + 1, done);
    }
    return this.finish(run, outputs);
  }

  private async afterRunsAsync(run: HookedRun, outputs: unknown, from: number, pending: PromiseLike<unknown>): Promise<unknown> {
    await pending;
    for (let i = from; i < this.hooks.length; i++) await this.hooks[i].afterRun?.(run.context, this.valuesFor(run, outputs, i));
    return this.finish(run, outputs);
  }

  private valuesFor(run: HookedRun, outputs: unknown, i: number): SessionRunValues {
    // The combined fetch's result: { caller, 'hook:0', ... }, shaped like run.fetches.
    const byKey = outputs as Record<string, unknown>;
    const key = hookKey(i);
    return new SessionRunValues(key in run.fetches ? byKey[key] : null, run.options, run.runMetadata);
  }

  private finish(run: HookedRun, outputs: unknown): unknown {
    this.stop = this.stop || run.context.stopRequested;
    return (outputs as Record<string, unknown>)[CALLER];
  }

  private sameAsLast(fetches: Record<string, FetchStructure>): boolean {
    const last = this.lastFetches;
    if (last === null) return false;
    let n = 0;
    for (const k in fetches) {
      if (last[k] !== fetches[k]) return false;
      n++;
    }
    for (const _ in last) n--;
    return n === 0;
  }
}

/** One hooked run on its way: what Python's `_HookedSession.run` keeps in locals. */
interface HookedRun {
  readonly context: SessionRunContext;
  /** The caller's fetches under `caller`, each hook's under `hook:<i>`. */
  readonly fetches: Record<string, FetchStructure>;
  readonly userFeeds: FeedDict | undefined;
  /** The hooks' feeds, merged (null while none fed anything). */
  hookFeeds: FeedDict | null;
  readonly options: RunOptionsInit;
  readonly opts: RunCallOptions;
  runMetadata: RunMetadataSink;
}

const EMPTY_METADATA: RunMetadataSink = { bytes: new Uint8Array(0) };

/** Adds what hook `i`'s `beforeRun` asked for (fetches, feeds, options) to the run, with Python's conflict errors. */
function collectRequest(run: HookedRun, i: number, request: unknown): void {
  if (request === null || request === undefined) return;
  if (typeof request !== 'object') throw invalidArgument(`hooks[${i}].beforeRun() result`, 'a SessionRunArgs, null or undefined', request);
  const r = request as SessionRunArgs;
  if (r.fetches !== null && r.fetches !== undefined) run.fetches[hookKey(i)] = r.fetches;
  if (r.feedDict && hasKeys(r.feedDict)) {
    const hookFeeds = (run.hookFeeds ??= {});
    raiseIfFeedsIntersect(hookFeeds, r.feedDict, 'Same tensor is fed by two hooks.');
    Object.assign(hookFeeds, r.feedDict);
  }
  if (r.options) mergeRunOptions(run.options, r.options);
}

/** The user's feeds with the hooks' (a feed of the same tensor by both is Python's error). */
function mergedFeeds(userFeeds: FeedDict | undefined, hookFeeds: FeedDict | null): FeedDict | undefined {
  if (hookFeeds === null) return userFeeds;
  if (!userFeeds || !hasKeys(userFeeds)) return hookFeeds;
  raiseIfFeedsIntersect(userFeeds, hookFeeds, 'Same tensor is fed by a SessionRunHook and user.');
  return { ...hookFeeds, ...userFeeds };
}

/** The timing of runs of a session that cannot say how long its runs take (no `runWith`): none expected. */
const UNMEASURED = Object.freeze({ ...newRunTiming(), estimateMs: 0 });

/**
 * A run placed by the scheduler: the session's own `runWith` when it has one (the core Session
 * keeps each plan's durations); else (a session with only `runSync`, in mode 'sync') `runSync`,
 * with the scheduler's turns of the event loop.
 */
function runScheduled(
  session: SessionLike,
  scheduler: RunScheduler,
  fetches: FetchStructure,
  feeds?: FeedDict,
  opts?: RunCallOptions,
): MaybePromise<unknown> {
  if (typeof session.runWith === 'function') return session.runWith(scheduler, fetches, feeds, opts);
  if (scheduler.place(UNMEASURED) === 'yield') return scheduler.yieldTurn().then(() => session.runSync!(fetches, feeds, opts));
  return session.runSync!(fetches, feeds, opts);
}

/**
 * The same session, except that its runs are placed by the scheduler (`run` still returns a
 * Promise; `RUN_MAYBE_SYNC` returns the value when it ran on the JS thread). Everything else,
 * `instanceof` included, is the session's own.
 */
function scheduledRuns(session: SessionLike, scheduler: RunScheduler): SessionLike {
  const run = (fetches: FetchStructure, feeds?: FeedDict, opts?: RunCallOptions): Promise<unknown> => {
    try {
      return Promise.resolve(runScheduled(session, scheduler, fetches, feeds, opts));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  const runMaybeSync = (fetches: FetchStructure) => runScheduled(session, scheduler, fetches);
  return new Proxy(session, {
    get(target, key) {
      if (key === 'run') return run;
      if (key === RUN_MAYBE_SYNC) return runMaybeSync;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function raiseIfFeedsIntersect(feeds1: FeedDict, feeds2: FeedDict, message: string): void {
  const other = new Set(Object.keys(feeds2).map(canonicalTensorName));
  const conflicts = Object.keys(feeds1).filter((k) => other.has(canonicalTensorName(k)));
  if (conflicts.length > 0) {
    throw new RuntimeError(`${message} Conflict(s): [${conflicts.map((k) => `'${k}'`).join(', ')}]`);
  }
}

/**
 * Merges a hook's RunOptions into `options`, in place: numbers take the maximum, flags the logical
 * OR, debug tensor watches are appended; every other field of `incoming` is dropped (Python's
 * `_merge_run_options`).
 */
export function mergeRunOptions(options: RunOptionsInit, incoming: RunOptionsInit): void {
  for (const k of ['traceLevel', 'timeoutInMs', 'interOpThreadPool'] as const) {
    const v = incoming[k];
    if (v !== undefined) options[k] = Math.max(options[k] ?? 0, v);
  }
  for (const k of ['outputPartitionGraphs', 'reportTensorAllocationsUponOom'] as const) {
    if (incoming[k] !== undefined) options[k] = Boolean(options[k] || incoming[k]);
  }
  const inDebug = incoming.debugOptions;
  if (!inDebug) return;
  const watches = inDebug.debugTensorWatchOpts ?? [];
  if (watches.length === 0 && inDebug.resetDiskByteUsage === undefined) return;
  const debug = (options.debugOptions ??= {});
  if (watches.length > 0) (debug.debugTensorWatchOpts ??= []).push(...watches);
  if (inDebug.resetDiskByteUsage !== undefined) debug.resetDiskByteUsage = Boolean(debug.resetDiskByteUsage || inDebug.resetDiskByteUsage);
}

const EMPTY = new Uint8Array(0);

/** Whether TF would put anything in RunMetadata for these options. */
function wantsMetadata(options: Record<string, unknown>): boolean {
  const trace = options.traceLevel;
  return (trace !== undefined && trace !== 0 && trace !== 'NO_TRACE') || Boolean(options.outputPartitionGraphs);
}
