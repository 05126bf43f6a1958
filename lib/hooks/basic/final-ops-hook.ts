/**
 * `FinalOpsHook`: evaluates fetches once, at the end of the session (Python's `FinalOpsHook`).
 */
import { OutOfRangeError, invalidArgument } from '../../core/errors';
import * as logging from '../../core/logging';
import type { FeedDict, FetchStructure, SessionLike } from '../../core/session-like';
import { StopIteration } from '../../core/errors';
import { checkFeeds, checkFetch, checkHookOptions } from '../check';
import { SessionRunHook } from '../session-run-hook';

export interface FinalOpsHookOptions {
  /** A tensor/op, or an array or object of them; null runs nothing. Required, as in Python. */
  finalOps: FetchStructure;
  /** Feeds for that run. */
  finalOpsFeedDict?: FeedDict | null;
}

const OPTION_NAMES = ['finalOps', 'finalOpsFeedDict'] satisfies Array<keyof FinalOpsHookOptions>;

const INPUT_WARNING =
  'An OutOfRangeError or StopIteration exception is raised by the code in FinalOpsHook. ' +
  'This typically means the Ops running by the FinalOpsHook have a dependency back to some input source, ' +
  'which should not happen. For example, for metrics in tf.estimator.Estimator, all metrics functions ' +
  'return two Ops: `value_op` and  `update_op`. Estimator.evaluate calls the `update_op` for each batch ' +
  'of the data in input source and, once it is exhausted, it call the `value_op` to get the metric values. ' +
  'The `value_op` here should have dependency back to variables reading only, rather than reading another ' +
  'batch from input. Otherwise, the `value_op`, executed by `FinalOpsHook`, triggers another data reading, ' +
  'which ends OutOfRangeError/StopIteration. Please fix that.';

/**
 * Runs `finalOps` in `end()` and keeps the result in {@link finalOpsValues}.
 *
 * @example
 * const final = new FinalOpsHook({ finalOps: { acc: 'accuracy:0' } });
 * // ... after the session closed:
 * final.finalOpsValues.acc
 */
export class FinalOpsHook extends SessionRunHook {
  private readonly finalOps: FetchStructure;
  private readonly feedDict: FeedDict | null;
  private values: unknown = null;

  constructor(opts: FinalOpsHookOptions) {
    super();
    // Only a plain object: a string or an Output passed alone would otherwise read as options.
    const proto = opts !== null && typeof opts === 'object' ? Object.getPrototypeOf(opts) : undefined;
    if (proto !== Object.prototype && proto !== null) throw invalidArgument('options', 'an object { finalOps, finalOpsFeedDict }', opts);
    checkHookOptions(opts, OPTION_NAMES, 'FinalOpsHook');
    const { finalOps, finalOpsFeedDict = null } = opts;
    if (finalOps === undefined) throw invalidArgument('finalOps', 'the fetches to run at the end (or null)', finalOps);
    checkFetch(finalOps, 'finalOps');
    checkFeeds(finalOpsFeedDict, 'finalOpsFeedDict');
    this.finalOps = finalOps;
    this.feedDict = finalOpsFeedDict;
  }

  /** The results of the final run, with the structure of `finalOps`; null before `end()`. */
  // biome-ignore lint/suspicious/noExplicitAny: shaped like finalOps, which the caller chose
  get finalOpsValues(): any {
    return this.values;
  }

  override async end(session: SessionLike): Promise<void> {
    if (this.finalOps === null) return;
    try {
      this.values = await session.run(this.finalOps, this.feedDict ?? undefined);
    } catch (e) {
      if (e instanceof OutOfRangeError || e instanceof StopIteration) logging.warning(INPUT_WARNING);
      throw e;
    }
  }
}
