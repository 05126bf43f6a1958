/**
 * Queue runners (Python's `queue_runner_impl.py`): for a queue, one loop per enqueue op that runs it
 * until the coordinator stops, plus one loop that closes the queue (cancelling pending enqueues)
 * once a stop is requested. The monitored session starts the runners of the graph's
 * `queue_runners` collection right after creating a session and before the hooks'
 * `afterCreateSession` (SPEC-MTS §2.2, §9.2).
 *
 * In Node the "threads" are async loops registered with the {@link Coordinator}. Each enqueue is a
 * `session.run` on a native thread, so an enqueue that blocks on a full queue blocks neither the
 * event loop nor the training runs.
 *
 * Errors surface as in Python (§12.18): an enqueue error other than the "queue closed" types is
 * reported with `coord.requestStop(error)`, so `shouldStop()` turns true and `close()` throws it.
 *
 * @example
 * const qr = new QueueRunner({ queueName: 'input_queue', enqueueOps: ['enqueue'], closeOp: 'input_queue_Close', cancelOp: 'input_queue_Close_1' });
 * qr.createThreads(session, { coord, start: true });
 */
import { isMessage } from '@bufbuild/protobuf';
import { Code, invalidArgument } from '../core/errors';
import { QueueRunnerDefSchema, type QueueRunnerDef } from '../proto/gen/tensorflow/core/protobuf/queue_runner_pb';
import type { CoordinatedThread, Coordinator } from './coordinator';
import * as logging from './logging';
import type { SessionLike } from './session-like';

type OpName = string | { readonly name: string };

export interface QueueRunnerOptions {
  /** The queue's op name (used in thread names). */
  queueName?: string;
  /** The enqueue ops, one loop each. */
  enqueueOps?: readonly OpName[];
  /** Closes the queue (run by the last loop when the queue was closed). */
  closeOp?: OpName | null;
  /** Closes the queue and cancels pending enqueues (run when the coordinator stops). */
  cancelOp?: OpName | null;
  /** TF error codes that mean "the queue was closed" and end a loop quietly. Default [OUT_OF_RANGE]. */
  queueClosedExceptionTypes?: readonly number[];
  /** Build from a QueueRunnerDef instead (what a loaded MetaGraphDef holds). */
  queueRunnerDef?: QueueRunnerDef | null;
}

const opName = (o: OpName): string => (typeof o === 'string' ? o : o.name).replace(/:\d+$/, '');

interface PerSession { live: number }

export class QueueRunner {
  readonly queueName: string;
  readonly enqueueOps: readonly string[];
  readonly closeOp: string | null;
  readonly cancelOp: string | null;
  readonly queueClosedExceptionTypes: readonly number[];
  private readonly runs = new WeakMap<SessionLike, PerSession>();
  private readonly raised: unknown[] = [];

  constructor(opts: QueueRunnerOptions) {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('options', 'an object', opts);
    const def = opts.queueRunnerDef ?? null;
    if (def !== null) {
      if (!isMessage(def, QueueRunnerDefSchema)) throw invalidArgument('queueRunnerDef', 'a QueueRunnerDef', def);
      this.queueName = def.queueName;
      this.enqueueOps = [...def.enqueueOpName];
      this.closeOp = def.closeOpName || null;
      this.cancelOp = def.cancelOpName || null;
      this.queueClosedExceptionTypes = def.queueClosedExceptionTypes.length ? [...def.queueClosedExceptionTypes] : [Code.OUT_OF_RANGE];
      return;
    }
    const { queueName = 'queue', enqueueOps, closeOp = null, cancelOp = null, queueClosedExceptionTypes = [Code.OUT_OF_RANGE] } = opts;
    if (!Array.isArray(enqueueOps) || enqueueOps.length === 0) throw invalidArgument('enqueueOps', 'a non-empty array of operations', enqueueOps);
    this.queueName = queueName;
    this.enqueueOps = enqueueOps.map(opName);
    this.closeOp = closeOp === null ? null : opName(closeOp);
    this.cancelOp = cancelOp === null ? null : opName(cancelOp);
    this.queueClosedExceptionTypes = [...queueClosedExceptionTypes];
  }

  /** A QueueRunner from a `queue_runners` collection item (a QueueRunnerDef or a QueueRunner). */
  static fromCollectionItem(item: unknown): QueueRunner {
    if (item instanceof QueueRunner) return item;
    if (isMessage(item, QueueRunnerDefSchema)) return new QueueRunner({ queueRunnerDef: item });
    throw invalidArgument('queue_runners item', 'a QueueRunnerDef or a QueueRunner', item);
  }

  /** Errors the loops raised when running without a coordinator. */
  get exceptionsRaised(): readonly unknown[] {
    return this.raised;
  }

  /**
   * Starts (with `start`) one loop per enqueue op and, with a coordinator, the close-on-stop loop,
   * each registered with `coord`. Returns no loops when loops of this runner still run on `session`.
   * Loop names are Python's thread names: `QueueRunnerThread-<queue>-<op>`.
   */
  createThreads(session: SessionLike, opts: { coord?: Coordinator | null; start?: boolean } = {}): CoordinatedThread[] {
    const coord = opts.coord ?? null;
    const state = this.runs.get(session);
    if (state && state.live > 0) return [];
    const perSession: PerSession = { live: this.enqueueOps.length };
    this.runs.set(session, perSession);
    const starters: Array<[string, () => Promise<void>]> = this.enqueueOps.map((op) =>
      [`QueueRunnerThread-${this.queueName}-${op}`, () => this.loop(session, op, coord, perSession)]);
    if (coord) starters.push([`QueueRunnerThread-${this.queueName}-close_on_stop`, () => this.closeOnStop(session, coord)]);
    if (opts.start === false) {
      // Python can create threads without starting them; an async loop exists only once started.
      return [];
    }
    return starters.map(([name, fn]) => {
      let alive = true;
      const done = Promise.resolve().then(fn).then(() => { alive = false; }, () => { alive = false; });
      const t: CoordinatedThread = { name, done, isAlive: () => alive };
      coord?.registerThread(t);
      return t;
    });
  }

  private isQueueClosed(e: unknown): boolean {
    const code = (e as { code?: unknown })?.code;
    return typeof code === 'number' && this.queueClosedExceptionTypes.includes(code);
  }

  private async loop(session: SessionLike, op: string, coord: Coordinator | null, perSession: PerSession): Promise<void> {
    let decremented = false;
    try {
      for (;;) {
        if (coord?.shouldStop()) break;
        try {
          await session.run(op);
        } catch (e) {
          if (!this.isQueueClosed(e)) throw e;
          perSession.live--;
          decremented = true;
          if (perSession.live === 0 && this.closeOp !== null) {
            try {
              await session.run(this.closeOp);
            } catch (closeError) {
              logging.debug(`Ignored exception: ${String((closeError as Error)?.message ?? closeError)}`);
            }
          }
          return;
        }
      }
    } catch (e) {
      if (coord) {
        try {
          coord.requestStop(e);
        } catch { /* the coordinator was joined: Python's thread would die with it, unseen */ }
      } else {
        logging.error(`Exception in QueueRunner: ${String((e as Error)?.message ?? e)}`);
        this.raised.push(e);
        throw e;
      }
    } finally {
      if (!decremented) perSession.live--;
    }
  }

  private async closeOnStop(session: SessionLike, coord: Coordinator): Promise<void> {
    await coord.waitForStop();
    if (this.cancelOp === null) return;
    try {
      await session.run(this.cancelOp);
    } catch (e) {
      logging.debug(`Ignored exception: ${String((e as Error)?.message ?? e)}`);
    }
  }
}

/**
 * Starts the runners of the `queue_runners` collection items on `session` (Python's
 * `start_queue_runners(sess, coord, daemon=True, start=True)`). Returns the loops started.
 */
export function startQueueRunners(items: readonly unknown[], session: SessionLike, coord: Coordinator): CoordinatedThread[] {
  const threads: CoordinatedThread[] = [];
  for (const item of items) threads.push(...QueueRunner.fromCollectionItem(item).createThreads(session, { coord, start: true }));
  return threads;
}

