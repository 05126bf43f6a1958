/**
 * The wrapper that re-creates the session after a preemption (Python's `_RecoverableSession`).
 *
 * Unlike Python, which retries at once and forever, recoveries are logged, back off and can be
 * capped with `maxRecoveryAttempts` (docs/differences-from-python.md#monitored-sessions); past the
 * cap the preemption error propagates.
 */
import { invalidArgument } from '../core/errors';
import { type MaybePromise, isThenable } from '../core/maybe-promise';
import { checkOptionNames } from '../core/options';
import * as logging from '../core/logging';
import type { FeedDict, FetchStructure, RunCallOptions, SessionLike } from '../core/session-like';
import { type RunFn, type StepFn, WrappedSession, isPreemptionError } from './wrapped-session';

export interface RecoveryOptions {
  /** Wait before the first re-creation of a series, in seconds. Default 0.1. */
  initialBackoffSecs?: number;
  /** The wait doubles with each consecutive recovery up to this, in seconds. Default 5. */
  maxBackoffSecs?: number;
  /**
   * How many recoveries may follow each other without a successful run in between; the next
   * preemption error then propagates. `null` (default) means no limit, as in Python.
   */
  maxRecoveryAttempts?: number | null;
  /** Waits `secs` seconds; tests inject their own. */
  sleep?: (secs: number) => Promise<void>;
}

/** Makes the wrapped (coordinated) sessions the recoverable session re-creates. */
export interface WrappedSessionCreator {
  createSession(): Promise<WrappedSession>;
}

const RECOVERY_OPTIONS = ['initialBackoffSecs', 'maxBackoffSecs', 'maxRecoveryAttempts', 'sleep'] satisfies Array<keyof RecoveryOptions>;

const defaultSleep = (secs: number) => new Promise<void>((resolve) => setTimeout(resolve, secs * 1000));

const ADVICE =
  'This error may also occur due to a gRPC failure caused by high memory or network bandwidth ' +
  'usage in the parameter servers. If this error occurs repeatedly, try increasing the number of ' +
  'parameter servers assigned to the job.';
const WHILE_CREATING =
  'An error was raised while a session was being created. This may be due to a preemption of ' +
  `a connected worker or parameter server. A new session will be created. ${ADVICE}`;
const WHILE_CHECKING =
  'An error was raised while considering whether the session is complete. This may be due to ' +
  'a preemption in a connected worker or parameter server. The current session will be closed and a new ' +
  `session will be created. ${ADVICE}`;
const WHILE_RUNNING =
  'An error was raised. This may be due to a preemption in a connected worker or parameter ' +
  `server. The current session will be closed and a new session will be created. ${ADVICE}`;

export class RecoverableSession extends WrappedSession {
  declare protected inner: WrappedSession | null;
  private readonly initialBackoffSecs: number;
  private readonly maxBackoffSecs: number;
  private readonly maxAttempts: number | null;
  private readonly sleep: (secs: number) => Promise<void>;
  /** Recoveries since the last successful run. */
  private attempts = 0;
  private creating: Promise<WrappedSession> | null = null;
  /** The close of a session dropped by `checkStop()`, which cannot wait for it. */
  private closing: Promise<void> | null = null;
  private recoveryPending = false;
  private gaveUpWith: unknown = undefined;

  private constructor(
    private readonly creator: WrappedSessionCreator,
    opts: RecoveryOptions,
  ) {
    super(null);
    const { initialBackoffSecs = 0.1, maxBackoffSecs = 5, maxRecoveryAttempts = null, sleep = defaultSleep } = opts;
    if (!(Number.isFinite(initialBackoffSecs) && initialBackoffSecs >= 0))
      throw invalidArgument('initialBackoffSecs', 'a non-negative number', initialBackoffSecs);
    if (!(Number.isFinite(maxBackoffSecs) && maxBackoffSecs >= 0))
      throw invalidArgument('maxBackoffSecs', 'a non-negative number', maxBackoffSecs);
    if (maxRecoveryAttempts !== null && !(Number.isInteger(maxRecoveryAttempts) && maxRecoveryAttempts >= 0)) {
      throw invalidArgument('maxRecoveryAttempts', 'a non-negative integer or null', maxRecoveryAttempts);
    }
    if (typeof sleep !== 'function') throw invalidArgument('sleep', 'a function', sleep);
    this.initialBackoffSecs = initialBackoffSecs;
    this.maxBackoffSecs = maxBackoffSecs;
    this.maxAttempts = maxRecoveryAttempts;
    this.sleep = sleep;
  }

  /** Creates the first session at once, retrying preemption errors as every later creation does. */
  static async create(creator: WrappedSessionCreator, opts: RecoveryOptions = {}): Promise<RecoverableSession> {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('recovery', 'an object', opts);
    checkOptionNames(opts, RECOVERY_OPTIONS, 'recovery');
    const session = new RecoverableSession(creator, opts);
    await session.ensureSession();
    return session;
  }

  /** Whether the session was dropped after a preemption and the next run creates a new one. */
  get recovering(): boolean {
    return this.recoveryPending;
  }

  /** The preemption error `shouldStop()` gave up on once the cap was reached, if any. */
  get unrecoveredError(): unknown {
    return this.gaveUpWith;
  }

  /**
   * A preemption error seen here cannot be recovered synchronously: the session is dropped (closed
   * in the background) and the next `run()` creates a new one, so this returns false meanwhile.
   * Python re-creates at once; the difference is only in when the creation happens. Any other
   * error means "stop" and is not thrown, as in Python.
   */
  override checkStop(): boolean {
    if (this.recoveryPending) return false;
    if (this.gaveUpWith !== undefined) return true;
    try {
      return this.inner ? this.inner.checkStop() : true;
    } catch (e) {
      if (!isPreemptionError(e)) return true;
      try {
        this.noteFailure(e, WHILE_CHECKING);
      } catch {
        this.gaveUpWith = e;
        return true;
      }
      const old = this.inner;
      this.inner = null;
      this.recoveryPending = true;
      this.closing = closeQuietly(old);
      return false;
    }
  }

  override shouldStop(): boolean {
    if (this.checkStop()) return true;
    if (this.recoveryPending) return false;
    return this.inner ? this.inner.shouldStop() : true;
  }

  /** The current session, created first if it was dropped after a preemption error. */
  async ensureSession(): Promise<WrappedSession> {
    if (this.closing) {
      const closing = this.closing;
      this.closing = null;
      await closing;
    }
    if (this.inner) return this.inner;
    this.creating ??= this.createSession().finally(() => {
      this.creating = null;
    });
    const session = await this.creating;
    this.inner = session;
    this.recoveryPending = false;
    return session;
  }

  override async close(): Promise<void> {
    this.recoveryPending = false;
    if (this.closing) {
      const closing = this.closing;
      this.closing = null;
      await closing;
    }
    await super.close();
  }

  override step(fetches: FetchStructure, feeds?: FeedDict, opts?: RunCallOptions): MaybePromise<unknown> {
    const session = this.inner;
    if (session === null || this.closing !== null) return this.stepOnNewSession(fetches, feeds, opts);
    let out;
    try {
      out = session.step(fetches, feeds, opts);
    } catch (e) {
      return this.recover(e, fetches, feeds, opts);
    }
    if (isThenable(out)) {
      return Promise.resolve(out).then(
        (v) => {
          this.attempts = 0;
          return v;
        },
        (e: unknown) => this.recover(e, fetches, feeds, opts),
      );
    }
    this.attempts = 0;
    return out;
  }

  /** After a failed run: a preemption error closes the session and the run is tried again on a new one. */
  private async recover(e: unknown, fetches: FetchStructure, feeds?: FeedDict, opts?: RunCallOptions): Promise<unknown> {
    if (!isPreemptionError(e)) throw e;
    this.noteFailure(e, WHILE_RUNNING);
    await this.close();
    return this.stepOnNewSession(fetches, feeds, opts);
  }

  private async stepOnNewSession(fetches: FetchStructure, feeds?: FeedDict, opts?: RunCallOptions): Promise<unknown> {
    await this.ensureSession();
    return this.step(fetches, feeds, opts);
  }

  /**
   * Runs `stepFn` against the current session; after a preemption error (inside `runWithHooks` or
   * the raw session) the session is re-created and the whole `stepFn` runs again. Unlike Python,
   * the retried `stepFn` gets the new raw session, not the closed one.
   */
  override async runStepFn<T>(stepFn: StepFn<T>, rawSession: () => SessionLike | null, _runWithHooks: RunFn | null): Promise<T> {
    for (;;) {
      const session = await this.ensureSession();
      try {
        const out = await session.runStepFn(stepFn, rawSession, (f, fd, o) => session.run(f, fd, o));
        this.attempts = 0;
        return out;
      } catch (e) {
        if (!isPreemptionError(e)) throw e;
        this.noteFailure(e, WHILE_RUNNING);
        await this.close();
      }
    }
  }

  private async createSession(): Promise<WrappedSession> {
    for (;;) {
      const delay = this.backoffSecs();
      if (delay > 0) await this.sleep(delay);
      try {
        return await this.creator.createSession();
      } catch (e) {
        if (!isPreemptionError(e)) throw e;
        this.noteFailure(e, WHILE_CREATING);
      }
    }
  }

  /** Counts a recovery and logs it; throws `e` when the cap is reached. */
  private noteFailure(e: Error, what: string): void {
    this.attempts++;
    const max = this.maxAttempts;
    if (max !== null && this.attempts > max) {
      logging.error(
        `Giving up after ${max} consecutive session recover${max === 1 ? 'y' : 'ies'} (maxRecoveryAttempts). Error: ${e.message}`,
      );
      throw e;
    }
    logging.warning(
      `${what} Error: ${e.message} (recovery ${this.attempts}${max === null ? '' : ` of at most ${max}`}, ` +
        `new session in ${this.backoffSecs()} s)`,
    );
  }

  /** The wait before creating a session: none for the first, then doubling per consecutive recovery. */
  private backoffSecs(): number {
    return this.attempts === 0 ? 0 : Math.min(this.initialBackoffSecs * 2 ** (this.attempts - 1), this.maxBackoffSecs);
  }
}

async function closeQuietly(session: WrappedSession | null): Promise<void> {
  try {
    await session?.close();
  } catch (e) {
    logging.warning(`Error while closing the session dropped for recovery: ${e instanceof Error ? e.message : String(e)}`);
  }
}
