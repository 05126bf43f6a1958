/**
 * The wrapper that ties a session to a Coordinator (Python's `_CoordinatedSession`).
 */
import { type MaybePromise, isThenable } from '../core/maybe-promise';
import type { Coordinator } from '../core/coordinator';
import type { FeedDict, FetchStructure, RunCallOptions, SessionLike } from '../core/session-like';
import { WrappedSession, isPreemptionError } from './wrapped-session';

/**
 * Stops when the coordinator is asked to stop, and surfaces the error a background thread reported
 * to it: from `shouldStop()` (through `checkStop()`), from `run()` when that error is a preemption
 * error (so that recovery starts from the root cause), and from `close()`.
 */
export class CoordinatedSession extends WrappedSession {
  constructor(
    session: SessionLike,
    readonly coord: Coordinator,
    private readonly stopGracePeriodSecs = 120,
  ) {
    super(session);
  }

  override checkStop(): boolean {
    this.coord.raiseRequestedException();
    return this.coord.shouldStop();
  }

  /**
   * Requests a stop, gives the coordinator's threads `stopGracePeriodSecs` to end (stragglers are
   * logged), re-throws an error a thread reported, and closes the inner session in any case
   * (its errors are dropped: the useful one came from join).
   */
  override async close(): Promise<void> {
    this.coord.requestStop();
    try {
      await this.coord.join({ stopGracePeriodSecs: this.stopGracePeriodSecs, ignoreLiveThreads: true });
    } finally {
      try {
        await super.close();
      } catch {
        // Dropped on purpose, as in Python.
      }
    }
  }

  override step(fetches: FetchStructure, feeds?: FeedDict, opts?: RunCallOptions): MaybePromise<unknown> {
    let out;
    try {
      out = super.step(fetches, feeds, opts);
    } catch (e) {
      return this.preferRecorded(e);
    }
    return isThenable(out) ? Promise.resolve(out).catch((e: unknown) => this.preferRecorded(e)) : out;
  }

  /** Throws the error a run failed with, or a preemption error a background thread reported first. */
  private preferRecorded(original: unknown): never {
    if (isPreemptionError(original)) throw original;
    // A failure here may come from a preemption a background thread saw first: prefer that error.
    try {
      this.coord.raiseRequestedException();
    } catch (recorded) {
      if (isPreemptionError(recorded)) throw recorded;
    }
    throw original;
  }
}
