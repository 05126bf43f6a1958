/**
 * `SessionManager` (Python's `session_manager.py`): creates sessions that are ready to train, by
 * restoring a checkpoint or initializing (chief, `prepareSession`), restoring only
 * (`recoverSession`), or waiting for the chief (worker, `waitForSession`). Python's rules for each
 * and for readiness: docs/python-parity.md §3.3.
 */
import net from 'node:net';
import { DeadlineExceededError, FailedPreconditionError, RuntimeError, ValueError, invalidArgument } from '../core/errors';
import { Graph, Operation, Output, type OpRef, type TensorRef } from '../core/graph';
import { checkOptionNames, checkOptionsObject, checkPath } from '../core/options';
import { Session, type RunOptionsInit, type SessionOptions } from '../core/session';
import type { Tensor } from '../core/tensor';
import { getCheckpointState } from '../checkpoint/checkpoint-state';
import { GraphKeys } from '../core/global-step';
import * as logging from '../core/logging';
import type { Saver } from '../checkpoint/saver';
import { restoreNewestLoadable } from '../checkpoint/saver/fallback';
import type { Feeds } from '../core/session';

/** ConfigProto as a plain camelCase object, a message or serialized bytes. */
export type SessionConfig = SessionOptions['config'];

export interface SessionManagerOptions {
  /** The graph the sessions run. */
  graph: Graph;
  localInitOp?: OpRef | null;
  readyOp?: TensorRef | null;
  readyForLocalInitOp?: TensorRef | null;
  /** Seconds between checks while waiting for a checkpoint or for the chief. Default 30. */
  recoveryWaitSecs?: number;
  localInitRunOptions?: RunOptionsInit | null;
  localInitFeedDict?: Feeds | null;
}

export interface RestoreOptions {
  saver?: Saver | null;
  checkpointDir?: string | null;
  checkpointFilenameWithPath?: string | null;
  /** Wait for a checkpoint to appear in `checkpointDir` (up to `maxWaitSecs`). Default false. */
  waitForCheckpoint?: boolean;
  /** Default 7200. */
  maxWaitSecs?: number;
  config?: SessionConfig;
}

export interface PrepareSessionOptions extends RestoreOptions {
  initOp?: OpRef | null;
  initFeedDict?: Feeds | null;
  /** Called with the session after `initOp` when nothing was restored. */
  initFn?: ((session: Session) => void | Promise<void>) | null;
}

/**
 * For a `grpc://host:port` master: null when a TCP connection opens within `timeoutMs`, else why
 * not (ECONNREFUSED, EHOSTUNREACH, 'timeout', ...). Other masters ('' in-process) are reachable.
 */
function masterUnreachable(master: string, timeoutMs: number): Promise<string | null> {
  const m = /^grpc:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(master);
  if (!m) return Promise.resolve(null);
  const host = m[1].replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(m[2]) });
    const done = (why: string | null) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => done(null));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** Seconds between the "still waiting" lines of {@link whileWaiting}. */
const WAIT_LOG_SECS = 10;

/**
 * Logs a warning every WAIT_LOG_SECS while `work` (runs against a remote master) is pending. TF's
 * master makes a session only once every task of the cluster answered, and waits for that without
 * a limit; it says so only in its own log ("CreateSession still waiting for response from
 * worker"), which Python shows and this package hides by default (TF_CPP_MIN_LOG_LEVEL=2). Without
 * this, a worker whose ps is unreachable would hang silently.
 */
async function whileWaiting<T>(master: string, work: Promise<T>): Promise<T> {
  if (!master) return work;
  const start = Date.now();
  const timer = setInterval(() => {
    logging.warning(
      `Still waiting for ${master} after ${Math.round((Date.now() - start) / 1000)} s: TF's master makes a session only once ` +
        'every task of the cluster answers, and waits for that without a limit. Check that every ps and worker address is reachable ' +
        '(TF_CPP_MIN_LOG_LEVEL=0 shows which task TF is waiting for).',
    );
  }, WAIT_LOG_SECS * 1000);
  timer.unref();
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

const MANAGER_OPTIONS = [
  'graph',
  'localInitOp',
  'readyOp',
  'readyForLocalInitOp',
  'recoveryWaitSecs',
  'localInitRunOptions',
  'localInitFeedDict',
] satisfies Array<keyof SessionManagerOptions>;
const RESTORE_OPTIONS = [
  'saver',
  'checkpointDir',
  'checkpointFilenameWithPath',
  'waitForCheckpoint',
  'maxWaitSecs',
  'config',
] satisfies Array<keyof RestoreOptions>;
const PREPARE_OPTIONS = [...RESTORE_OPTIONS, 'initOp', 'initFeedDict', 'initFn'] satisfies Array<keyof PrepareSessionOptions>;

function isOpRef(x: unknown): boolean {
  return (typeof x === 'string' && x !== '') || x instanceof Operation || x instanceof Output;
}

export interface WaitForSessionOptions {
  config?: SessionConfig;
  /** Default: forever. */
  maxWaitSecs?: number | null;
}

const sleep = (secs: number) => new Promise<void>((resolve) => setTimeout(resolve, secs * 1000));

/** Python's `%s` of an op (`_maybe_name`). */
function maybeName(x: unknown): string {
  if (x === null || x === undefined) return 'None';
  if (x instanceof Operation || x instanceof Output) return x.name;
  if (typeof x === 'string') return x;
  if (typeof x === 'function') return `<function ${x.name || '<anonymous>'}>`;
  return String(x);
}

/**
 * - `prepareSession` (chief): restore from a checkpoint, or run the init op and init fn; then the
 *   local init op once the global state is ready; then check readiness.
 * - `recoverSession`: restore only, reporting whether the model is ready.
 * - `waitForSession` (worker): create sessions until the chief has made the model ready, polling
 *   every `recoveryWaitSecs` (30 by default, as Python; configurable, unlike Python's MTS) for at
 *   most `maxWaitSecs`, then `DeadlineExceededError("Session was not ready after waiting N secs.")`.
 *
 * Readiness (Python's `_ready`): a ready op returns the names of what is not initialized; an empty
 * result (or an int32 one, or an op) means ready. A FailedPreconditionError whose message mentions
 * "uninitialized" means not ready; any other one is logged and thrown.
 *
 * @example
 * const sm = new SessionManager({ graph, readyOp: scaffold.readyOp, localInitOp: scaffold.localInitOp });
 * const sess = await sm.prepareSession('', { initOp: scaffold.initOp, saver: scaffold.saver, checkpointDir: 'runs/a' });
 */
export class SessionManager {
  readonly graph: Graph;
  private readonly localInitOp: OpRef | null;
  private readonly readyOp: TensorRef | null;
  private readonly readyForLocalInitOp: TensorRef | null;
  private readonly recoveryWaitSecs: number;
  private readonly localInitRunOptions: RunOptionsInit | null;
  private readonly localInitFeedDict: Feeds | null;

  constructor(opts: SessionManagerOptions) {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('options', 'an object', opts);
    checkOptionNames(opts, MANAGER_OPTIONS, 'SessionManager');
    const {
      graph,
      localInitOp = null,
      readyOp = null,
      readyForLocalInitOp = null,
      recoveryWaitSecs = 30,
      localInitRunOptions = null,
      localInitFeedDict = null,
    } = opts;
    if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
    if (!(Number.isFinite(recoveryWaitSecs) && recoveryWaitSecs >= 0)) {
      throw invalidArgument('recoveryWaitSecs', 'a non-negative number of seconds', recoveryWaitSecs);
    }
    if (readyForLocalInitOp !== null && localInitOp === null) {
      throw new ValueError(
        `If you pass a ready_for_local_init_op you must also pass a local_init_op , ready_for_local_init_op [${maybeName(readyForLocalInitOp)}]`,
      );
    }
    this.graph = graph;
    this.localInitOp = localInitOp;
    this.readyOp = readyOp;
    this.readyForLocalInitOp = readyForLocalInitOp;
    this.recoveryWaitSecs = recoveryWaitSecs;
    this.localInitRunOptions = localInitRunOptions;
    this.localInitFeedDict = localInitFeedDict;
  }

  private newSession(master: string, config: SessionConfig): Session {
    return new Session(this.graph, { target: master, config: config ?? null });
  }

  /** Python's `_restore_checkpoint`: a new session, restored when a checkpoint is found. */
  private async restoreCheckpoint(master: string, opts: RestoreOptions): Promise<{ session: Session; restored: boolean }> {
    const {
      saver = null,
      checkpointDir = null,
      checkpointFilenameWithPath = null,
      waitForCheckpoint = false,
      maxWaitSecs = 7200,
      config,
    } = opts;
    if (saver !== null && (typeof saver !== 'object' || typeof saver.restore !== 'function'))
      throw invalidArgument('saver', 'a Saver or null', saver);
    if (checkpointDir !== null) checkPath(checkpointDir, 'checkpointDir', { allowEmpty: true });
    if (checkpointFilenameWithPath !== null) checkPath(checkpointFilenameWithPath, 'checkpointFilenameWithPath');
    if (typeof maxWaitSecs !== 'number' || !(maxWaitSecs >= 0))
      throw invalidArgument('maxWaitSecs', 'a non-negative number of seconds', maxWaitSecs);
    if (typeof waitForCheckpoint !== 'boolean') throw invalidArgument('waitForCheckpoint', 'a boolean', waitForCheckpoint);
    const session = this.newSession(master, config);
    try {
      if (checkpointDir && checkpointFilenameWithPath) {
        throw new ValueError('Can not provide both checkpoint_dir and checkpoint_filename_with_path.');
      }
      if (!saver || !(checkpointDir || checkpointFilenameWithPath)) return { session, restored: false };
      if (checkpointFilenameWithPath) {
        await this.restoreAndRunSavedModelInitializers(session, saver, checkpointFilenameWithPath);
        return { session, restored: true };
      }
      // Strict: a state file that exists but cannot be parsed stops here (Python ignores it, starts
      // from scratch and overwrites it: docs/python-parity.md §7.7).
      // Python counts the sleeps; the clock counts too, or a wait of 0 s between tries never ends.
      let waited = 0;
      const start = Date.now();
      let ckpt = await getCheckpointState(checkpointDir!, null, { strict: true });
      while (!ckpt?.modelCheckpointPath) {
        if (!(waitForCheckpoint && Math.max(waited, (Date.now() - start) / 1000) < maxWaitSecs)) return { session, restored: false };
        logging.info('Waiting for checkpoint to be available.');
        await sleep(this.recoveryWaitSecs);
        waited += this.recoveryWaitSecs;
        ckpt = await getCheckpointState(checkpointDir!, null, { strict: true });
      }
      await this.runSavedModelInitializers(session);
      const used = await restoreNewestLoadable(session, saver, ckpt.modelCheckpointPath, ckpt.allModelCheckpointPaths);
      // The newer ones did not load: they are not tracked (the next saves replace them or leave them be).
      const all = ckpt.allModelCheckpointPaths;
      await saver.recoverLastCheckpoints(all.includes(used) ? all.slice(0, all.indexOf(used) + 1) : [used]);
      return { session, restored: true };
    } catch (e) {
      // Python leaves the session open; it is unreachable after this, so close it.
      await session.close().catch(() => {});
      throw e;
    }
  }

  private async restoreAndRunSavedModelInitializers(session: Session, saver: Saver, path: string): Promise<void> {
    await this.runSavedModelInitializers(session);
    await saver.restore(session, path);
  }

  private async runSavedModelInitializers(session: Session): Promise<void> {
    const inits = this.graph.getCollection(GraphKeys.SAVED_MODEL_INITIALIZERS);
    if (inits.length) await session.run(inits.map((x) => (x instanceof Operation || x instanceof Output ? x : String(x))));
  }

  /**
   * A session ready to train (Python's `prepare_session`): restored from `checkpointFilenameWithPath`
   * or the latest checkpoint of `checkpointDir` when there is one (then `initOp`/`initFn` do not
   * run), else initialized with `initOp` (fed `initFeedDict`) and `initFn`; then the local init op
   * runs, and the ready op must report nothing. RuntimeError with Python's messages otherwise.
   */
  async prepareSession(master: string, opts: PrepareSessionOptions = {}): Promise<Session> {
    checkMaster(master);
    return whileWaiting(master, this.prepareSessionNow(master, opts));
  }

  private async prepareSessionNow(master: string, opts: PrepareSessionOptions): Promise<Session> {
    checkOptionsObject(opts, 'options', PREPARE_OPTIONS, 'prepareSession');
    if (opts.initOp !== undefined && opts.initOp !== null && !isOpRef(opts.initOp))
      throw invalidArgument('initOp', 'an operation (a name, an Operation or an Output) or null', opts.initOp);
    const { initOp = null, initFeedDict = null, initFn = null } = opts;
    if (initFn !== null && typeof initFn !== 'function') throw invalidArgument('initFn', 'a function', initFn);
    const { session, restored } = await this.restoreCheckpoint(master, opts);
    try {
      if (!restored) {
        if (initOp === null && !initFn && this.localInitOp === null) {
          throw new RuntimeError('Model is not initialized and no init_op or init_fn or local_init_op was given');
        }
        if (initOp !== null) await session.run(initOp, initFeedDict ?? undefined);
        if (initFn) await initFn(session);
      }
      const [localOk, localMsg] = await this.tryRunLocalInitOp(session);
      if (!localOk) {
        throw new RuntimeError(
          `Init operations did not make model ready for local_init.  Init op: ${maybeName(initOp)}, ` +
            `init fn: ${maybeName(initFn)}, error: ${localMsg}`,
        );
      }
      const [ready, msg] = await this.modelReady(session);
      if (!ready) {
        throw new RuntimeError(
          `Init operations did not make model ready.  Init op: ${maybeName(initOp)}, ` +
            `init fn: ${maybeName(initFn)}, local_init_op: ${maybeName(this.localInitOp)}, error: ${msg}`,
        );
      }
      return session;
    } catch (e) {
      await session.close().catch(() => {});
      throw e;
    }
  }

  /**
   * Python's `recover_session`: restores when a checkpoint is found and runs the local init op;
   * `restored` is true only when that made the model ready.
   */
  async recoverSession(master: string, opts: RestoreOptions = {}): Promise<{ session: Session; restored: boolean }> {
    checkMaster(master);
    checkOptionsObject(opts, 'options', RESTORE_OPTIONS, 'recoverSession');
    const { session, restored } = await this.restoreCheckpoint(master, opts);
    const [localOk, localMsg] = await this.tryRunLocalInitOp(session);
    if (!restored) return { session, restored: false };
    const restoringFile = opts.checkpointDir || opts.checkpointFilenameWithPath;
    if (!localOk) {
      logging.info(`Restoring model from ${restoringFile} did not make model ready for local init: ${localMsg}`);
      return { session, restored: false };
    }
    const [ready, msg] = await this.modelReady(session);
    if (!ready) {
      logging.info(`Restoring model from ${restoringFile} did not make model ready: ${msg}`);
      return { session, restored: false };
    }
    logging.info(`Restored model from ${restoringFile}`);
    return { session, restored: true };
  }

  /**
   * A session once the model is ready (Python's `wait_for_session`, the worker's path): each try
   * makes a new session, runs the local init op when the global state is ready, and checks the ready
   * op; between tries it logs "Waiting for model to be ready. ..." and sleeps `recoveryWaitSecs`.
   * Never runs the init op.
   */
  async waitForSession(master: string, opts: WaitForSessionOptions = {}): Promise<Session> {
    checkMaster(master);
    checkOptionsObject(opts, 'options', ['config', 'maxWaitSecs'] satisfies Array<keyof WaitForSessionOptions>, 'waitForSession');
    const maxWaitSecs = opts.maxWaitSecs ?? Infinity;
    if (typeof maxWaitSecs !== 'number' || !(maxWaitSecs >= 0))
      throw invalidArgument('maxWaitSecs', 'a non-negative number of seconds or null', opts.maxWaitSecs);
    const start = Date.now();
    const remaining = () => Math.max(0, maxWaitSecs - (Date.now() - start) / 1000);
    for (;;) {
      // A remote master that accepts no connection would make the session's first run wait inside
      // gRPC without a limit, and maxWaitSecs could never end the wait: such a master counts as
      // "not ready yet" (Python hangs there).
      const unreachable = await masterUnreachable(master, Math.min(5000, Math.max(100, remaining() * 1000)));
      if (unreachable !== null) {
        if (remaining() === 0 || remaining() - this.recoveryWaitSecs < 0) {
          throw new DeadlineExceededError(
            `Session was not ready after waiting ${Number.isFinite(maxWaitSecs) ? Math.trunc(maxWaitSecs) : maxWaitSecs} secs: ${master} accepts no connection (${unreachable}).`,
          );
        }
        logging.info(`Waiting for ${master} to accept connections (${unreachable}).`);
        await sleep(this.recoveryWaitSecs);
        continue;
      }
      const session = this.newSession(master, opts.config);
      let readyMsg: string | null = null;
      const [localOk, localMsg] = await whileWaiting(master, this.tryRunLocalInitOp(session)).catch(async (e) => {
        await session.close().catch(() => {});
        throw e;
      });
      if (localOk) {
        const [ready, msg] = await whileWaiting(master, this.modelReady(session)).catch(async (e) => {
          await session.close().catch(() => {});
          throw e;
        });
        if (ready) return session;
        readyMsg = msg;
      }
      await session.close().catch(() => {});
      // Python's test is only the second one, so with a poll interval of 0 (possible here, not in
      // Python's MTS) it never gave up: a deadline that has passed ends the wait too.
      if (remaining() === 0 || remaining() - this.recoveryWaitSecs < 0) {
        throw new DeadlineExceededError(
          `Session was not ready after waiting ${Number.isFinite(maxWaitSecs) ? Math.trunc(maxWaitSecs) : maxWaitSecs} secs.`,
        );
      }
      logging.info(`Waiting for model to be ready.  Ready_for_local_init_op:  ${localMsg ?? 'None'}, ready: ${readyMsg ?? 'None'}`);
      await sleep(this.recoveryWaitSecs);
    }
  }

  private modelReady(session: Session): Promise<[boolean, string | null]> {
    return ready(this.readyOp, session, 'Model not ready');
  }

  private async tryRunLocalInitOp(session: Session): Promise<[boolean, string | null]> {
    if (this.localInitOp === null) return [true, null];
    const [ok, msg] = await ready(this.readyForLocalInitOp, session, 'Model not ready for local init');
    if (!ok) return [false, msg];
    logging.info('Running local_init_op.');
    await session.run(this.localInitOp, this.localInitFeedDict ?? undefined, { options: this.localInitRunOptions });
    logging.info('Done running local_init_op.');
    return [true, null];
  }
}

function checkMaster(master: unknown): void {
  if (typeof master !== 'string') throw invalidArgument('master', "a master string ('' or 'grpc://host:port')", master);
}

/** Python's `_ready(op, sess, msg)`. */
async function ready(op: TensorRef | null, session: Session, msg: string): Promise<[boolean, string | null]> {
  if (op === null) return [true, null];
  try {
    const value = (await session.run(op as TensorRef)) as Tensor | null;
    if (value === null || value.dtype === 'int32' || value.size === 0) return [true, null];
    const names =
      value.dtype === 'string'
        ? value.bytes.map((b) => Buffer.from(b).toString('utf8'))
        : Array.from(value.data as ArrayLike<unknown>, String);
    return [false, `Variables not initialized: ${names.join(', ')}`];
  } catch (e) {
    if (!(e instanceof FailedPreconditionError)) throw e;
    if (!e.message.includes('uninitialized')) {
      logging.warning(`${msg} : error [${e.message}]`);
      throw e;
    }
    return [false, e.message];
  }
}
