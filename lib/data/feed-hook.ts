/**
 * `feedFromBatches`: a FeedFnHook that feeds one batch per run from an iterable or async iterable
 * of batches (batches() gives one; any source of feed dicts works), and asks the session to stop
 * after the run that used the last batch: the next batch is fetched after each run, so the end of
 * the data is known before `shouldStop()` is asked.
 */
import { ArgumentError, OutOfRangeError, invalidArgument } from '../core/errors';
import { andThen, type MaybePromise } from '../core/maybe-promise';
import type { FeedDict } from '../core/session-like';
import { FeedFnHook } from '../hooks/basic/feed-fn-hook';
import type { SessionRunContext, SessionRunValues } from '../hooks/session-run-hook';

type AnyBatch = Record<string, unknown>;
/** Batches: `batches(...)`, or any iterable / async iterable of `{ name: value }` objects. */
export type BatchIterable = AsyncIterable<AnyBatch> | Iterable<AnyBatch>;

/**
 * Feeds one batch per run. `feedMap` maps tensor names to batch names (`{ 'x:0': 'images' }`);
 * without it each batch is fed as it is (its names are tensor names).
 *
 * When the batches run out the hook calls `requestStop()` after the run that used the last one,
 * so `while (!sess.shouldStop())` ends there. A run asked for after that (or when there was no
 * batch at all) throws OutOfRangeError, which `MonitoredSession.using()` treats as the end of input.
 */
export class BatchFeedHook extends FeedFnHook {
  /** Batches fed so far. */
  batchesFed = 0;
  /** True once the source has no more batches. */
  exhausted = false;
  private readonly iterator: AsyncIterator<AnyBatch> | Iterator<AnyBatch>;
  private readonly feedMap: Record<string, string> | null;
  private next: AnyBatch | null = null;

  constructor(source: BatchIterable, feedMap?: Record<string, string>) {
    let self: BatchFeedHook | null = null;
    super(() => self!.nextFeeds());
    self = this;
    if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) this.iterator = source[Symbol.asyncIterator]();
    else if (source !== null && typeof source === 'object' && Symbol.iterator in source)
      this.iterator = (source as Iterable<AnyBatch>)[Symbol.iterator]();
    else throw invalidArgument('batches', 'an iterable or async iterable of batches (e.g. batches(...))', source);
    if (feedMap !== undefined) {
      if (feedMap === null || typeof feedMap !== 'object' || Array.isArray(feedMap) || Object.keys(feedMap).length === 0) {
        throw invalidArgument('feedMap', "an object of tensor name → batch name ({ 'x:0': 'images' })", feedMap);
      }
      for (const [tensor, key] of Object.entries(feedMap)) {
        if (typeof key !== 'string' || key === '') throw invalidArgument(`feedMap['${tensor}']`, 'a batch name (string)', key);
      }
    }
    this.feedMap = feedMap ?? null;
  }

  private pull(): MaybePromise<IteratorResult<AnyBatch>> {
    return this.iterator.next();
  }

  private nextFeeds(): MaybePromise<FeedDict> {
    if (this.next !== null) {
      const b = this.next;
      this.next = null;
      return this.toFeeds(b);
    }
    if (this.exhausted) throw this.outOfRange();
    return andThen(this.pull(), (r) => {
      if (r.done) {
        this.exhausted = true;
        throw this.outOfRange();
      }
      return this.toFeeds(r.value);
    });
  }

  private outOfRange(): OutOfRangeError {
    return new OutOfRangeError(`feedFromBatches: no more batches (${this.batchesFed} fed)`);
  }

  private toFeeds(batch: AnyBatch): FeedDict {
    if (batch === null || typeof batch !== 'object') throw invalidArgument(`batches[${this.batchesFed}]`, 'a batch { name: value }', batch);
    this.batchesFed++;
    if (this.feedMap === null) return batch as FeedDict;
    const feeds: FeedDict = {};
    for (const [tensor, key] of Object.entries(this.feedMap)) {
      if (!Object.hasOwn(batch, key)) {
        throw new ArgumentError(
          'feedMap',
          `feedMap feeds ${tensor} from '${key}', but the batch has ${
            Object.keys(batch)
              .map((k) => `'${k}'`)
              .join(', ') || 'no names'
          }`,
        );
      }
      feeds[tensor] = batch[key];
    }
    return feeds;
  }

  /** Fetches the next batch now, so the run that used the last one can request the stop. */
  override afterRun(runContext: SessionRunContext, _runValues: SessionRunValues): MaybePromise<void> {
    if (this.exhausted || this.next !== null) return;
    return andThen(this.pull(), (r) => {
      if (r.done) {
        this.exhausted = true;
        runContext.requestStop();
      } else {
        this.next = r.value;
      }
    });
  }

  /** Lets the source release what it holds (a generator's `finally`), when training ends first. */
  override end(): MaybePromise<void> {
    if (this.exhausted) return;
    const done = this.iterator.return?.();
    return done && typeof (done as Promise<unknown>).then === 'function' ? andThen(done as Promise<unknown>, () => undefined) : undefined;
  }
}

/**
 * A hook feeding one batch per run from `source` (see {@link BatchFeedHook}).
 * @example
 * const d = await readNpz('digits.npz');
 * const hook = feedFromBatches(batches({ images: d.train_images, labels: d.train_labels }, { batchSize: 64, epochs: 5, seed: 0 }),
 *   { 'x:0': 'images', 'y:0': 'labels' });
 */
export function feedFromBatches(source: BatchIterable, feedMap?: Record<string, string>): BatchFeedHook {
  return new BatchFeedHook(source, feedMap);
}
