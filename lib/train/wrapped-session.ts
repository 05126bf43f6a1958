/**
 * The base of the monitored-session wrapper chain (Python's `_WrappedSession`), and the
 * `StepContext` that `runStepFn` hands to a step function.
 *
 *     MonitoredSession
 *      └─ RecoverableSession      re-creates the session after AbortedError/UnavailableError
 *          └─ CoordinatedSession  owns the Coordinator
 *              └─ HookedSession   calls the hooks, owns the stop flag
 *                  └─ Session     raw
 */
import { AbortedError, ClosedError, StopIteration, UnavailableError } from '../core/errors';
export { StopIteration };
import type { MaybePromise } from '../core/maybe-promise';
import * as logging from '../core/logging';
import type { FeedDict, FetchStructure, RunCallOptions, SessionLike } from '../core/session-like';

/** `run` with the signature of `Session.run`. */
export type RunFn = (fetches: FetchStructure, feeds?: FeedDict, opts?: RunCallOptions) => Promise<unknown>;

/** A step function for `runStepFn`. */
export type StepFn<T> = (stepContext: StepContext) => T | Promise<T>;

/** Errors after which the session is re-created (Python's `_PREEMPTION_ERRORS`; instanceof, as `except`). */
export function isPreemptionError(e: unknown): e is AbortedError | UnavailableError {
  return e instanceof AbortedError || e instanceof UnavailableError;
}

/** What a step function of `runStepFn` gets: the raw session, a hooked run, and a way to stop. */
export class StepContext {
  constructor(
    /** The raw session: runs on it call no hooks. */
    readonly session: SessionLike,
    private readonly runWithHooksFn: RunFn,
  ) {}

  /** Same as `MonitoredSession#run`: the hooks run around it. */
  runWithHooks(fetches: FetchStructure, feeds?: FeedDict, opts?: RunCallOptions): Promise<unknown> {
    return this.runWithHooksFn(fetches, feeds, opts);
  }

  /**
   * Ends the iterations by throwing {@link StopIteration} at once (as Python does; `shouldStop()`
   * does not become true). `using()` swallows it and runs the hooks' `end()`.
   */
  requestStop(): never {
    throw new StopIteration('step_fn has requested the iterations to stop.');
  }
}

/**
 * Delegates to an inner session (raw or another wrapper). `shouldStop()` is true when this
 * wrapper's own `checkStop()` says so, when a wrapped wrapper says so, or once closed. `close()`
 * never lets a preemption error out.
 */
export class WrappedSession implements SessionLike {
  constructor(protected inner: SessionLike | null) {}

  get graph(): unknown {
    return this.inner?.graph;
  }

  shouldStop(): boolean {
    if (this.checkStop()) return true;
    if (this.inner) return this.inner instanceof WrappedSession && this.inner.shouldStop();
    return true;
  }

  /** This wrapper's own stop condition (subclasses). @internal */
  checkStop(): boolean {
    return false;
  }

  async close(): Promise<void> {
    const inner = this.inner;
    if (!inner) return;
    this.inner = null;
    try {
      await inner.close();
    } catch (e) {
      if (!isPreemptionError(e)) throw e;
      logging.error(
        'An error occurred when attempting to close the session. This may be due to a preemption in ' +
          `a connected worker or parameter server. Error: ${e.message}`,
      );
    }
  }

  run(fetches: FetchStructure, feeds?: FeedDict, opts?: RunCallOptions): Promise<unknown> {
    try {
      return Promise.resolve(this.step(fetches, feeds, opts));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * `run()`'s work, for the wrapper above: the result, or a Promise of it when a layer below had to
   * wait. May throw synchronously. Subclasses override this, not `run()`. @internal
   */
  step(fetches: FetchStructure, feeds?: FeedDict, opts?: RunCallOptions): MaybePromise<unknown> {
    const inner = this.inner;
    if (!inner) throw new ClosedError('Session');
    return inner instanceof WrappedSession ? inner.step(fetches, feeds, opts) : inner.run(fetches, feeds, opts);
  }

  /**
   * Calls `stepFn` with a StepContext on the current raw session; `runWithHooks` defaults to this
   * wrapper's `run`.
   */
  async runStepFn<T>(stepFn: StepFn<T>, rawSession: () => SessionLike | null, runWithHooks: RunFn | null): Promise<T> {
    const raw = rawSession();
    if (!raw) throw new ClosedError('Session');
    return stepFn(new StepContext(raw, runWithHooks ?? ((f, fd, o) => this.run(f, fd, o))));
  }
}
