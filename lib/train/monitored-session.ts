/**
 * `MonitoredSession` and `SingularMonitoredSession` (Python's `monitored_session.py`): a session-like
 * object that creates its session through a SessionCreator, calls hooks around every run, stops when
 * a hook or the coordinator says so, re-creates the session after preemptions (MonitoredSession
 * only), and ends the hooks on close.
 */
import { inGraph } from '../core/current-graph';
import { DEFAULT_MAX_BLOCK_MS, RunScheduler, checkMaxBlockMs, checkRunMode, type RunMode } from '../core/run-scheduler';
import { ArgumentError, ClosedError, OutOfRangeError, RuntimeError, ValueError, invalidArgument } from '../core/errors';
import { isThenable, type MaybePromise } from '../core/maybe-promise';
import { checkOptionNames } from '../core/options';
import { type SessionRunHookLike, checkHooks } from '../hooks/session-run-hook';
import { CoordinatedSession } from './coordinated-session';
import { Coordinator } from '../core/coordinator';
import { HookedSession } from './hooked-session';
import { ChiefSessionCreator } from './session-creators';
import * as logging from '../core/logging';
import type { Scaffold } from '../checkpoint/scaffold';
import type { SessionConfig } from './session-manager';
import { startQueueRunners } from '../core/queue-runner';
import { type RecoveryOptions, RecoverableSession } from './recoverable-session';
import type { Fetch, FetchResult } from '../core/session';
import type { FeedDict, FinalizableGraph, RunCallOptions, SessionCreator, SessionLike } from '../core/session-like';
import { StepContext, StopIteration, type StepFn, type WrappedSession, isPreemptionError } from './wrapped-session';

export { StepContext, StopIteration, type StepFn };

/**
 * Why training stopped (or is about to), better than Python, which does not say:
 * - `'hook-request'`: a hook called `runContext.requestStop()` (StopAtStepHook, NanTensorHook, ...);
 * - `'coordinator'`: the coordinator was asked to stop (`stopError` holds the error a thread reported, if any);
 * - `'out-of-range'`: a run threw OutOfRangeError (end of input);
 * - `'step-fn'`: a step function called `stepContext.requestStop()` (StopIteration);
 * - `'preemption'`: preemption errors outlasted `maxRecoveryAttempts`, or happened without recovery;
 * - `'error'`: a run, a step function or the `using()` body threw another error;
 * - `'signal'`: SIGTERM/SIGINT arrived with signal handling on (MonitoredTrainingSession's `handleSignals`);
 * - `'closed'`: `close()` was called while nothing asked to stop.
 * A successful run clears a reason that came from an error; `close()` freezes the value.
 */
export type StopReason = 'hook-request' | 'coordinator' | 'out-of-range' | 'step-fn' | 'preemption' | 'error' | 'signal' | 'closed';

/** A graph that may hold queue runners (the core Graph does). */
interface GraphWithCollections extends FinalizableGraph {
  getCollection?(key: string): unknown[];
}

export interface MonitoredSessionOptions {
  /**
   * Makes the raw session: `ChiefSessionCreator`, `WorkerSessionCreator`, or any `SessionCreator`.
   * Default, as Python: a `ChiefSessionCreator` of `graph` (in-process, default Scaffold).
   */
  sessionCreator?: SessionCreator | null;
  hooks?: readonly SessionRunHookLike[] | null;
  /** Time given to the coordinator's threads to end on close. Default 120. */
  stopGracePeriodSecs?: number;
  /**
   * The graph the session runs (default: the session creator's `graph`, when it has one). If it is
   * not finalized at construction, it is un-finalized on close (the session creator finalizes it),
   * as Python does with the default graph. Hooks see it through `currentGraph()` in `begin()`.
   */
  graph?: FinalizableGraph | null;
  /** Called once after the hooks' `begin()` and before the first session is created. */
  beforeCreate?: (() => void | Promise<void>) | null;
  /**
   * Where the steps' runs and the hooks' own runs execute (lib/core/run-scheduler.ts):
   * - `'auto'` (default): a run expected to take less than `maxBlockMs` runs on the JS thread (as
   *   every run does in Python: no thread hand-offs, several times faster for small steps), a
   *   longer one on the addon's pool; the event loop gets a turn at least every `maxBlockMs`.
   * - `'async'`: always on the pool; the event loop is never blocked by TF.
   * - `'sync'`: always on the JS thread, with a turn of the event loop every `maxBlockMs`.
   * A graph with queue runners always runs `'async'`: their enqueues must be issued while a step
   * waits on the queue. Hooks that return Promises work in every mode.
   */
  runMode?: RunMode;
  /** The longest stretch of blocking runs between turns of the event loop ('auto', 'sync'). Default 10. */
  maxBlockMs?: number;
  /** Older name: `true` is `runMode: 'sync'`, `false` is `runMode: 'async'`. */
  syncRuns?: boolean;
  /**
   * Called once the session chain is closed, whatever happened while closing (after the hooks'
   * `end()` and the coordinator's join). MonitoredTrainingSession closes its summary writers here.
   */
  onClose?: (() => void | Promise<void>) | null;
}

export interface RecoverableMonitoredSessionOptions extends MonitoredSessionOptions {
  /** Backoff and cap of the preemption recovery. */
  recovery?: RecoveryOptions;
}

/**
 * Python's `SingularMonitoredSession(hooks, scaffold, master, config, checkpoint_dir,
 * stop_grace_period_secs, checkpoint_filename_with_path)`: the chief session creator's arguments
 * (with `graph`) build its `ChiefSessionCreator`. A `sessionCreator` may be given instead of them.
 */
export interface SingularMonitoredSessionOptions extends MonitoredSessionOptions {
  scaffold?: Scaffold | null;
  master?: string;
  config?: SessionConfig;
  checkpointDir?: string | null;
  checkpointFilenameWithPath?: string | null;
}

const MONITORED_SESSION_OPTIONS = [
  'sessionCreator',
  'hooks',
  'stopGracePeriodSecs',
  'graph',
  'beforeCreate',
  'runMode',
  'maxBlockMs',
  'syncRuns',
  'onClose',
  'recovery',
] satisfies Array<keyof RecoverableMonitoredSessionOptions>;
const CHIEF_CREATOR_OPTIONS = ['scaffold', 'master', 'config', 'checkpointDir', 'checkpointFilenameWithPath'] satisfies Array<
  keyof SingularMonitoredSessionOptions
>;

type Reason = { reason: StopReason; error: unknown };

/** The run scheduler the options ask for (runMode, maxBlockMs, and the older syncRuns). @internal */
export function schedulerFor(opts: { runMode?: unknown; maxBlockMs?: unknown; syncRuns?: unknown }): RunScheduler {
  const { runMode, syncRuns, maxBlockMs } = opts;
  if (syncRuns !== undefined && typeof syncRuns !== 'boolean') throw invalidArgument('syncRuns', 'a boolean', syncRuns);
  let mode: RunMode = 'auto';
  if (runMode !== undefined) {
    mode = checkRunMode(runMode);
    if (syncRuns !== undefined && (syncRuns ? 'sync' : 'async') !== mode) {
      throw invalidArgument('syncRuns', `no value, or ${mode === 'sync'} (runMode '${mode}' is given)`, syncRuns);
    }
  } else if (syncRuns !== undefined) {
    mode = syncRuns ? 'sync' : 'async';
  }
  return new RunScheduler(mode, maxBlockMs === undefined ? DEFAULT_MAX_BLOCK_MS : checkMaxBlockMs(maxBlockMs));
}

/** Creates the raw session, its coordinator and the hooked + coordinated wrappers (Python's `_CoordinatedSessionCreator`). @internal */
export class CoordinatedSessionCreator {
  tfSess: SessionLike | null = null;
  coord: Coordinator | null = null;
  hooked: HookedSession | null = null;
  private hasQueueRunners = false;

  constructor(
    private readonly sessionCreator: SessionCreator,
    private readonly hooks: readonly SessionRunHookLike[],
    private readonly stopGracePeriodSecs: number,
    private readonly graph: GraphWithCollections | null = null,
    private readonly scheduler: RunScheduler | null = null,
  ) {}

  async createSession(): Promise<CoordinatedSession> {
    const tfSess = await inGraph(this.graph, () => this.sessionCreator.createSession());
    if (tfSess === null || typeof tfSess !== 'object' || typeof tfSess.run !== 'function' || typeof tfSess.close !== 'function') {
      throw invalidArgument('sessionCreator', 'a SessionCreator whose createSession() resolves to a session', tfSess);
    }
    this.tfSess = tfSess;
    // No error type counts as a clean stop: every error a thread reports is surfaced.
    const coord = new Coordinator({ cleanStopExceptionTypes: [] });
    this.coord = coord;
    try {
      // Python starts the graph's queue runners here, before the hooks see the session.
      const queueRunners = this.graph?.getCollection?.('queue_runners') ?? [];
      if (queueRunners.length > 0) startQueueRunners(queueRunners, tfSess, coord);
      this.hasQueueRunners = queueRunners.length > 0;
      for (const hook of this.hooks) await inGraph(this.graph, () => hook.afterCreateSession?.(tfSess, coord));
    } catch (e) {
      // Python leaves this session open; close it so that a failed construction leaks nothing.
      coord.requestStop();
      await tfSess.close().catch(() => {});
      throw e;
    }
    this.hooked = new HookedSession(tfSess, this.hooks, { scheduler: this.hasQueueRunners ? null : this.scheduler });
    return new CoordinatedSession(this.hooked, coord, this.stopGracePeriodSecs);
  }
}

/** @internal */
export interface MonitoredSessionInit {
  hooks: readonly SessionRunHookLike[];
  creator: CoordinatedSessionCreator;
  sess: WrappedSession;
  graph: FinalizableGraph | null;
  graphWasFinalized: boolean;
  onClose: (() => void | Promise<void>) | null;
}

/** What `MonitoredSession` and `SingularMonitoredSession` share (Python's `_MonitoredSession`). */
export abstract class MonitoredSessionBase {
  private sess: WrappedSession | null;
  private closeStarted = false;
  private readonly hookList: readonly SessionRunHookLike[];
  private readonly creator: CoordinatedSessionCreator;
  private readonly graphRef: FinalizableGraph | null;
  private readonly graphWasFinalized: boolean;
  private errorReason: Reason | null = null;
  private finalReason: Reason | null = null;
  private externalReason: Reason | null = null;
  private readonly onClose: (() => void | Promise<void>) | null;
  private inFlight = new Set<Promise<unknown>>();
  private externalClose: Promise<void> | null = null;

  protected constructor(init: MonitoredSessionInit) {
    // `protected` binds TypeScript only: from JS, `new MonitoredSession(options)` made an object
    // whose run() and close() failed with TypeErrors from deep inside.
    if (init === null || typeof init !== 'object' || !(init.creator instanceof CoordinatedSessionCreator)) {
      throw new ArgumentError('options', `Expected no direct construction: use \`await ${new.target.name}.create(options)\``);
    }
    this.hookList = init.hooks;
    this.creator = init.creator;
    this.sess = init.sess;
    this.graphRef = init.graph;
    this.graphWasFinalized = init.graphWasFinalized;
    this.onClose = init.onClose;
  }

  /**
   * Python's construction sequence: each hook's `begin()`, then `beforeCreate`, then the session is
   * created and each hook's `afterCreateSession(session, coord)` runs. If that fails, nothing is
   * undone (the graph stays finalized, `end()` is not called), as in Python.
   */
  protected static async init(opts: RecoverableMonitoredSessionOptions, shouldRecover: boolean): Promise<MonitoredSessionInit> {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('options', 'an object', opts);
    const { hooks, stopGracePeriodSecs = 120, beforeCreate = null, onClose = null, recovery } = opts;
    const scheduler = schedulerFor(opts);
    let { sessionCreator } = opts;
    if ((sessionCreator === undefined || sessionCreator === null) && opts.graph) {
      sessionCreator = new ChiefSessionCreator({ graph: opts.graph as never });
    }
    // Default: the graph of a session creator that has one (ChiefSessionCreator, WorkerSessionCreator).
    const creatorGraph = (sessionCreator as { graph?: unknown } | null)?.graph as FinalizableGraph | undefined;
    const graph = opts.graph ?? (creatorGraph && typeof creatorGraph.unfinalize === 'function' ? creatorGraph : null);
    if (sessionCreator === null || typeof sessionCreator !== 'object' || typeof sessionCreator.createSession !== 'function') {
      throw invalidArgument('sessionCreator', 'a SessionCreator with createSession() (or no sessionCreator and a graph)', sessionCreator);
    }
    const hookList = [...checkHooks(hooks, 'hooks')];
    if (!(Number.isFinite(stopGracePeriodSecs) && stopGracePeriodSecs >= 0)) {
      throw invalidArgument('stopGracePeriodSecs', 'a non-negative number', stopGracePeriodSecs);
    }
    if (graph !== null && (typeof graph !== 'object' || typeof graph.unfinalize !== 'function')) {
      throw invalidArgument('graph', 'a graph with finalized and unfinalize()', graph);
    }
    if (beforeCreate !== null && typeof beforeCreate !== 'function') throw invalidArgument('beforeCreate', 'a function', beforeCreate);
    if (onClose !== null && typeof onClose !== 'function') throw invalidArgument('onClose', 'a function', onClose);

    const graphWasFinalized = graph?.finalized ?? false;
    for (const hook of hookList) await inGraph(graph, () => hook.begin?.());
    await inGraph(graph, () => beforeCreate?.());
    const creator = new CoordinatedSessionCreator(sessionCreator, hookList, stopGracePeriodSecs, graph, scheduler);
    const sess = shouldRecover ? await RecoverableSession.create(creator, recovery) : await creator.createSession();
    return { hooks: hookList, creator, sess, graph, graphWasFinalized, onClose };
  }

  /** The hooks, in the order they are called (MonitoredTrainingSession's defaults included). */
  get hooks(): readonly SessionRunHookLike[] {
    return this.hookList;
  }

  /** The raw session's graph, or null once closed. */
  get graph(): unknown {
    return this.creator.tfSess?.graph ?? null;
  }

  /**
   * Runs `fetches` with `feeds` through the hooks. The result has the structure of `fetches`.
   * `opts.options` is changed in place by the hooks' options, as in Python.
   */
  run<F extends Fetch>(fetches: F, feeds?: FeedDict, opts?: RunCallOptions): Promise<FetchResult<F>> {
    // Python raises TypeError; TF's own error (or, with hooks adding fetches, a result of null) would not name it.
    if (fetches === null || fetches === undefined)
      return Promise.reject(invalidArgument('fetches', 'a tensor or op (name, Output, Operation) or a list/object of them', fetches));
    let sess: WrappedSession;
    try {
      sess = this.openSession();
    } catch (e) {
      return Promise.reject(e);
    }
    // A step the chain finished synchronously (syncRuns, hooks without Promises) is settled here:
    // nothing is in flight, and no async frame is paid for it.
    // The wrapped sessions are untyped (hooks add their own fetches); the result has the structure of `fetches`.
    let out: MaybePromise<FetchResult<F>>;
    try {
      out = sess.step(fetches, feeds, opts) as MaybePromise<FetchResult<F>>;
    } catch (e) {
      this.noteError(e);
      return Promise.reject(e);
    }
    if (isThenable(out)) return this.track(Promise.resolve(out));
    this.errorReason = null;
    return Promise.resolve(out as FetchResult<F>);
  }

  private async track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    try {
      const out = await p;
      this.errorReason = null;
      return out;
    } catch (e) {
      this.noteError(e);
      throw e;
    } finally {
      this.inFlight.delete(p);
    }
  }

  /**
   * Calls `stepFn(stepContext)`: `stepContext.session` is the raw session (no hooks),
   * `stepContext.runWithHooks()` runs through the hooks, and `stepContext.requestStop()` throws
   * {@link StopIteration}. Returns what `stepFn` returns. With recovery, a preemption error makes the
   * whole `stepFn` run again on a new session.
   */
  async runStepFn<T>(stepFn: StepFn<T>): Promise<T> {
    if (typeof stepFn !== 'function') throw invalidArgument('stepFn', 'a function', stepFn);
    if (stepFn.length > 1) {
      throw new ValueError(
        `\`step_fn\` may either have one \`step_context\` argument, or \`self\` and \`step_context\` arguments if it's an instance method. Got ${stepFn.length} arguments instead.`,
      );
    }
    const sess = this.openSession();
    return this.track(sess.runStepFn(stepFn, () => this.creator.tfSess, null));
  }

  /** True once a hook or the coordinator asked to stop, or the session is closed. */
  shouldStop(): boolean {
    return this.sess === null || this.externalReason !== null || this.sess.shouldStop();
  }

  /**
   * @internal Ends training from outside the run loop (signal handling): `shouldStop()` turns true
   * at once with `reason`; once the runs in flight have settled, the hooks' `end()` run and the
   * session closes. A later `close()` (or the end of `using()`) resolves with that close instead of
   * throwing "Session is already closed.". Resolves when closed.
   */
  stopAndClose(reason: StopReason): Promise<void> {
    if (this.externalClose) return this.externalClose;
    if (this.sess === null || this.closeStarted) return Promise.resolve();
    this.externalReason = { reason, error: null };
    this.externalClose = (async () => {
      await Promise.allSettled([...this.inFlight]);
      if (this.sess === null || this.closeStarted) return;
      await this.closeInternal(false, true);
    })();
    return this.externalClose;
  }

  /** Why training stopped; null while nothing asked it to. See {@link StopReason}. */
  get stopReason(): StopReason | null {
    return (this.finalReason ?? this.currentReason())?.reason ?? null;
  }

  /** The error behind {@link stopReason}, when there is one. */
  get stopError(): unknown {
    return (this.finalReason ?? this.currentReason())?.error ?? null;
  }

  /**
   * Waits for the runs in flight to settle (a run called from now on is a ClosedError), runs
   * every hook's `end(session)` in order, then closes the session chain (the coordinator's
   * threads get `stopGracePeriodSecs`; an error one of them reported is thrown from here). If an
   * `end()` throws, the later hooks are skipped, the session is still closed, and the error
   * propagates. A second `close()` throws `RuntimeError('Session is already closed.')` without
   * calling `end()` again (Python calls the hooks again, with no session).
   */
  close(): Promise<void> {
    return this.closeInternal(false);
  }

  /**
   * Python's `with MonitoredSession(...) as sess:` block: runs `body(this)`, then closes.
   * - body returns: hooks' `end()` runs, the session closes, the body's value is returned;
   * - body throws exactly `OutOfRangeError` or `StopIteration` (the class itself, not a subclass, as
   *   Python compares exception types with `in [...]`): same as returning, the result is undefined;
   * - body throws anything else: `end()` is skipped, the session closes, the error propagates.
   * An error thrown while closing propagates instead (after the body's error is logged), as in Python.
   */
  async using<T>(body: (session: this) => T | Promise<T>): Promise<T | undefined> {
    let result: T;
    try {
      result = await body(this);
    } catch (e) {
      this.noteError(e);
      const clean = e instanceof Error && (e.constructor === OutOfRangeError || e.constructor === StopIteration);
      if (clean) {
        await this.closeInternal(false);
        return undefined;
      }
      try {
        await this.closeInternal(true);
      } catch (closeError) {
        logging.error(`An error was thrown while closing the session after this error: ${describe(e)}`);
        throw closeError;
      }
      throw e;
    }
    await this.closeInternal(false);
    return result;
  }

  /** `await using sess = await MonitoredSession.create(...)`: the same as `close()` (end() hooks run even after an error), and nothing if already closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.closeStarted) await this.close();
  }

  /** The raw session created by the session creator (null once closed). */
  protected tfSess(): SessionLike | null {
    return this.creator.tfSess;
  }

  private openSession(): WrappedSession {
    if (this.sess === null || this.closeStarted || this.externalClose) throw new ClosedError('MonitoredSession');
    return this.sess;
  }

  private noteError(e: unknown): void {
    let reason: StopReason = 'error';
    if (e instanceof OutOfRangeError) reason = 'out-of-range';
    else if (e instanceof StopIteration) reason = 'step-fn';
    else if (isPreemptionError(e)) reason = 'preemption';
    this.errorReason = { reason, error: e };
  }

  private currentReason(): Reason | null {
    if (this.externalReason) return this.externalReason;
    if (this.errorReason) return this.errorReason;
    if (this.creator.hooked?.stopRequested) return { reason: 'hook-request', error: null };
    if (this.sess instanceof RecoverableSession && this.sess.unrecoveredError !== undefined) {
      return { reason: 'preemption', error: this.sess.unrecoveredError };
    }
    const coord = this.creator.coord;
    if (coord?.shouldStop()) return { reason: 'coordinator', error: coord.requestedError ?? null };
    return null;
  }

  private async closeInternal(skipEnd: boolean, external = false): Promise<void> {
    // After stopAndClose() (which waits for the runs in flight), that close is the close.
    if (this.externalClose && !external) return this.externalClose;
    if (this.sess === null || this.closeStarted) throw new RuntimeError('Session is already closed.');
    // From here a new run is a ClosedError; the runs in flight settle first, so that a step whose
    // run() resolved is in what end() saves (Python's runs block the caller: none can be in flight).
    this.closeStarted = true;
    if (!skipEnd) await Promise.allSettled([...this.inFlight]);
    this.finalReason = this.currentReason() ?? { reason: 'closed', error: null };
    const sess = this.sess;
    try {
      if (!skipEnd) {
        // After a preemption seen by shouldStop() the new session is made here, as Python would have
        // made it already, so that end() runs against a live session.
        if (sess instanceof RecoverableSession && sess.recovering) await sess.ensureSession();
        const raw = this.creator.tfSess as SessionLike;
        for (const hook of this.hookList) await hook.end?.(raw);
      }
    } finally {
      try {
        await sess.close();
      } finally {
        this.sess = null;
        this.creator.tfSess = null;
        this.creator.coord = null;
        if (this.graphRef && !this.graphWasFinalized) this.graphRef.unfinalize();
        try {
          await this.onClose?.();
        } catch (e) {
          logging.error(`Error after closing the session: ${describe(e)}`);
        }
      }
    }
  }
}

/**
 * A monitored session that recovers from preemptions: after AbortedError or UnavailableError the
 * session is closed and re-created through the session creator, hooks' `afterCreateSession` runs
 * again, and the interrupted run is retried (see {@link RecoveryOptions}).
 *
 * @example
 * const sess = await MonitoredSession.create({ sessionCreator, hooks: [new StopAtStepHook({ lastStep: 100 })] });
 * await sess.using(async (s) => {
 *   while (!s.shouldStop()) await s.run('train');
 * });
 * console.log(sess.stopReason); // 'hook-request'
 */
export class MonitoredSession extends MonitoredSessionBase {
  static async create(opts: RecoverableMonitoredSessionOptions): Promise<MonitoredSession> {
    if (opts !== null && typeof opts === 'object') checkOptionNames(opts, MONITORED_SESSION_OPTIONS, 'MonitoredSession');
    return new MonitoredSession(await MonitoredSessionBase.init(opts, true));
  }
}

/** A monitored session without recovery (preemption errors propagate) that exposes the raw session. */
export class SingularMonitoredSession extends MonitoredSessionBase {
  static async create(opts: SingularMonitoredSessionOptions): Promise<SingularMonitoredSession> {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('options', 'an object', opts);
    const optionNames = [...MONITORED_SESSION_OPTIONS, ...CHIEF_CREATOR_OPTIONS].filter((k) => k !== 'recovery');
    checkOptionNames(opts, optionNames, 'SingularMonitoredSession');
    const given = CHIEF_CREATOR_OPTIONS.filter((k) => opts[k] !== undefined);
    if (given.length === 0) return new SingularMonitoredSession(await MonitoredSessionBase.init(opts, false));
    if (opts.sessionCreator !== undefined && opts.sessionCreator !== null) {
      throw invalidArgument(
        'sessionCreator',
        `nothing: ${given.join(', ')} build the ChiefSessionCreator (Python's SingularMonitoredSession)`,
        opts.sessionCreator,
      );
    }
    const { scaffold, master, config, checkpointDir, checkpointFilenameWithPath, ...rest } = opts;
    const sessionCreator = new ChiefSessionCreator({
      graph: opts.graph as never,
      scaffold,
      master,
      config,
      checkpointDir,
      checkpointFilenameWithPath,
    });
    return new SingularMonitoredSession(await MonitoredSessionBase.init({ ...rest, sessionCreator }, false));
  }

  /** The underlying session (runs on it call no hooks); null once closed. */
  rawSession(): SessionLike | null {
    return this.tfSess();
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
