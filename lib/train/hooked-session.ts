/**
 * The wrapper that calls the hooks around each run (Python's `_HookedSession`).
 */
import { RuntimeError, invalidArgument } from '../core/errors';
import {
  SessionRunArgs, SessionRunContext, SessionRunValues, type SessionRunHookLike,
} from '../hooks/session-run-hook';
import { canonicalTensorName } from './fetches';
import type { Feeds, Fetch, RunCallOptions, RunOptionsInit, SessionLike } from './session-like';
import { WrappedSession } from './wrapped-session';

/** With `syncRuns`, the longest time between two turns of the event loop. */
const YIELD_EVERY_MS = 20;

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
  private lastFetches: Record<string, Fetch> | null = null;

  private readonly syncRuns: boolean;
  private lastYield = performance.now();
  /** The session hooks see in their run context: the raw one, or with `syncRuns` its blocking view. */
  private readonly hookSession: SessionLike;

  /**
   * With `syncRuns`, the raw session's `runSync` is used for the hooked runs when it has one, and
   * for the hooks' own runs too (`runContext.session.run` blocks, as in Python: an async run on a
   * trigger step cost ~0.5–1 ms of thread wake-ups, measured), and the event loop gets a turn at
   * least every 20 ms.
   */
  constructor(session: SessionLike, private readonly hooks: readonly SessionRunHookLike[], opts: { syncRuns?: boolean } = {}) {
    super(session);
    this.syncRuns = Boolean(opts.syncRuns) && typeof session.runSync === 'function';
    this.hookSession = this.syncRuns ? blockingRuns(session) : session;
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
   * what the hooks see in `SessionRunValues.options`. Run metadata: see run().
   */
  override async run(fetches: Fetch, feeds?: Feeds, opts: RunCallOptions = {}): Promise<any> {
    if (this.shouldStop()) throw new RuntimeError('Run called even after should_stop requested.');
    const raw = this.inner as SessionLike;
    const actualFetches: Record<string, Fetch> = { [CALLER]: fetches };
    const runContext = new SessionRunContext(new SessionRunArgs(fetches, feeds ?? null), this.hookSession);
    const options = opts.options ?? {};
    const feed = await this.callHooksBeforeRun(runContext, actualFetches, feeds, options);

    // Python always collects RunMetadata (SPEC §12.16). TF fills it only when tracing or partition
    // graphs are asked for; otherwise it is empty, so it is requested only then (or when the caller
    // passed a sink) and hooks get an empty one — the same content without serializing and copying
    // an empty message on every step.
    const wanted = opts.runMetadata != null || wantsMetadata(options as Record<string, unknown>);
    const runMetadata = opts.runMetadata ?? (wanted ? {} : { bytes: EMPTY });
    // The same object for the same fetches lets the session reuse its flattened fetch plan; and
    // empty options are not sent (they would be serialized for nothing).
    const fetch = this.sameAsLast(actualFetches) ? this.lastFetches! : (this.lastFetches = actualFetches);
    const sink = wanted ? runMetadata : undefined;
    const runOpts = hasKeys(options) || opts.options ? { options, runMetadata: sink } : { runMetadata: sink };
    let outputs;
    if (this.syncRuns) {
      // A loop of synchronous runs would never let timers, I/O and signals in: yield now and then.
      const now = performance.now();
      if (now - this.lastYield > YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.lastYield = performance.now();
      }
      outputs = raw.runSync!(fetch, feed, runOpts);
    } else {
      outputs = await raw.run(fetch, feed, runOpts);
    }

    for (let i = 0; i < this.hooks.length; i++) {
      const key = hookKey(i);
      const results = key in actualFetches ? outputs[key] : null;
      await this.hooks[i].afterRun?.(runContext, new SessionRunValues(results, options, runMetadata));
    }
    this.stop = this.stop || runContext.stopRequested;
    return outputs[CALLER];
  }

  private sameAsLast(fetches: Record<string, Fetch>): boolean {
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

  private async callHooksBeforeRun(
    runContext: SessionRunContext, actualFetches: Record<string, Fetch>, userFeeds: Feeds | undefined, options: RunOptionsInit,
  ): Promise<Feeds | undefined> {
    const hookFeeds: Feeds = {};
    for (let i = 0; i < this.hooks.length; i++) {
      const request = await this.hooks[i].beforeRun?.(runContext);
      if (request === null || request === undefined) continue;
      if (typeof request !== 'object') throw invalidArgument(`hooks[${i}].beforeRun() result`, 'a SessionRunArgs, null or undefined', request);
      if (request.fetches !== null && request.fetches !== undefined) actualFetches[hookKey(i)] = request.fetches;
      if (request.feedDict && Object.keys(request.feedDict).length > 0) {
        raiseIfFeedsIntersect(hookFeeds, request.feedDict, 'Same tensor is fed by two hooks.');
        Object.assign(hookFeeds, request.feedDict);
      }
      if (request.options) mergeRunOptions(options, request.options);
    }
    if (Object.keys(hookFeeds).length === 0) return userFeeds;
    if (!userFeeds || Object.keys(userFeeds).length === 0) return hookFeeds;
    raiseIfFeedsIntersect(userFeeds, hookFeeds, 'Same tensor is fed by a SessionRunHook and user.');
    return { ...hookFeeds, ...userFeeds };
  }
}

/**
 * The same session, except that `run` is done with `runSync` (the Promise it returns is already
 * settled). Everything else, `instanceof` included, is the session's own.
 */
function blockingRuns(session: SessionLike): SessionLike {
  const run = (fetches: Fetch, feeds?: Feeds, opts?: RunCallOptions): Promise<any> => {
    try {
      return Promise.resolve(session.runSync!(fetches, feeds, opts));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return new Proxy(session, {
    get(target, key) {
      if (key === 'run') return run;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function raiseIfFeedsIntersect(feeds1: Feeds, feeds2: Feeds, message: string): void {
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
