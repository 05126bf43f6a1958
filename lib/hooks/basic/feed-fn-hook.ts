/**
 * `FeedFnHook`: feeds the result of a function into every run (Python's `FeedFnHook`).
 */
import { invalidArgument } from '../../core/errors';
import { andThen } from '../../core/maybe-promise';
import type { FeedDict } from '../../core/session-like';
import { checkHookOptions } from '../check';
import { SessionRunArgs, SessionRunHook, type SessionRunContext } from '../session-run-hook';

export interface FeedFnHookOptions {
  /** Called before each run; returns the feeds to add (`{ 'x:0': value }`). May be async. */
  feedFn: () => FeedDict | Promise<FeedDict>;
}

const OPTION_NAMES = ['feedFn'] satisfies Array<keyof FeedFnHookOptions>;

type FeedFn = () => FeedDict | Promise<FeedDict>;

/**
 * Adds `feedFn()`'s feeds to each run. A tensor fed by the user or by another hook as well is an
 * error (`Same tensor is fed by ...`).
 *
 * The function may also be passed alone, as in Python's `FeedFnHook(feed_fn)`.
 *
 * @example
 * new FeedFnHook({ feedFn: () => ({ 'x:0': nextBatch() }) })
 * new FeedFnHook(() => ({ 'x:0': nextBatch() }))
 */
export class FeedFnHook extends SessionRunHook {
  readonly feedFn: FeedFn;

  constructor(opts: FeedFnHookOptions | FeedFn) {
    super();
    if (typeof opts === 'function') {
      this.feedFn = opts;
      return;
    }
    if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
      throw invalidArgument('feedFn', 'a function, or options { feedFn: function }', opts);
    }
    checkHookOptions(opts, OPTION_NAMES, 'FeedFnHook');
    const feedFn = opts.feedFn;
    if (typeof feedFn !== 'function') throw invalidArgument('feedFn', 'a function', feedFn);
    this.feedFn = feedFn;
  }

  /** A Promise only when `feedFn` returns one (a synchronous step stays synchronous). */
  override beforeRun(_runContext: SessionRunContext): SessionRunArgs | Promise<SessionRunArgs> {
    return andThen(this.feedFn(), (feeds) => new SessionRunArgs(null, feeds));
  }
}
