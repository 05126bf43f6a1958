/**
 * Queue runners (Python's `queue_runner_impl.py`): for a queue, one loop per enqueue op that runs it
 * until the coordinator stops, plus one loop that closes the queue once a stop is requested. The
 * "threads" are async loops registered with the {@link Coordinator}, each enqueue a `session.run`
 * on a native thread, so a blocked enqueue blocks neither the event loop nor training runs.
 * When they start and how errors surface: docs/python-parity.md §2.2, §9.2.
 */
import { create, isMessage } from '@bufbuild/protobuf';
import { Code, RuntimeError, invalidArgument } from './errors';
import { prependNameScope, stripNameScope } from './name-scope';
import { checkBoolean, checkOptionNames, checkOptionsObject } from './options';
import { QueueRunnerDefSchema, type QueueRunnerDef } from '../proto/gen/tensorflow/core/protobuf/queue_runner_pb';
import { type CoordinatedThread, type Coordinator, describeValue, thrownAsError } from './coordinator';
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
  /** TF error codes that mean "the queue was closed" and end a loop quietly. Default (undefined or null) [OUT_OF_RANGE]. */
  queueClosedExceptionTypes?: readonly number[] | null;
  /** Build from a QueueRunnerDef instead (what a MetaGraphDef holds); the other options must then be left out. */
  queueRunnerDef?: QueueRunnerDef | null;
  /** With `queueRunnerDef`: a name scope prepended to its names (Python's `import_scope`). */
  importScope?: string | null;
}

/** Options of {@link QueueRunner.createThreads} (Python's `create_threads` arguments). */
export interface CreateThreadsOptions {
  /** Registers the loops with it, adds the close-on-stop loop, and receives the loops' errors. */
  coord?: Coordinator | null;
  /**
   * Python's `daemon`. Accepted for the same call shape; it changes nothing, as Node has no daemon
   * threads: a loop's pending enqueue keeps the process alive until the coordinator stops it.
   */
  daemon?: boolean;
  /** Start the loops now. Default false, as in Python: call each returned thread's `start()`. */
  start?: boolean;
}

/** A queue-runner loop: registered with the coordinator when created, running once started. */
export interface QueueRunnerThread extends CoordinatedThread {
  /** Starts the loop (Python's `Thread.start`); a RuntimeError when it was started already. */
  start(): void;
}

const QUEUE_RUNNER_OPTIONS = [
  'queueName',
  'enqueueOps',
  'closeOp',
  'cancelOp',
  'queueClosedExceptionTypes',
  'queueRunnerDef',
  'importScope',
] as const;
const CREATE_THREADS_OPTIONS = ['coord', 'daemon', 'start'] as const;

/** An op given by name (`'enqueue'`, `'enqueue:0'`) or as an object with a `name` (an Operation or Output). */
function opName(o: unknown, param: string): string {
  const name = typeof o === 'string' ? o : o !== null && typeof o === 'object' ? (o as { name?: unknown }).name : undefined;
  if (typeof name !== 'string' || name === '')
    throw invalidArgument(param, 'an operation (a non-empty name, or an Operation or Output)', o);
  return name.replace(/:\d+$/, '');
}

/** Messages of errors the loops ignore or log; never throws. */
function messageOf(e: unknown): string {
  if (e instanceof Error) {
    try {
      return String(e.message);
    } catch {
      /* a throwing getter: describe it instead */
    }
  }
  return describeValue(e);
}

interface PerSession {
  live: number;
}

/**
 * The runner of one queue. Added to the `queue_runners` collection, it is written to a
 * MetaGraphDef (and so to every checkpoint's `.meta`) as its QueueRunnerDef ({@link toProto}), and
 * a loaded MetaGraphDef's `queue_runners` hold QueueRunners again ({@link fromProto}), as Python's
 * `register_proto_function` for that key does.
 *
 * @example
 * const qr = new QueueRunner({ queueName: 'input_queue', enqueueOps: ['enqueue'], closeOp: 'input_queue_Close', cancelOp: 'input_queue_Close_1' });
 * graph.addToCollection('queue_runners', qr);
 * qr.createThreads(session, { coord, start: true });
 */
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
    checkOptionNames(opts, QUEUE_RUNNER_OPTIONS, 'QueueRunner');
    const def = opts.queueRunnerDef ?? null;
    const scope = opts.importScope ?? null;
    if (scope !== null && typeof scope !== 'string') throw invalidArgument('importScope', 'a name scope (a string)', scope);
    if (def !== null) {
      if (!isMessage(def, QueueRunnerDefSchema)) throw invalidArgument('queueRunnerDef', 'a QueueRunnerDef', def);
      // Python: "queue_runner_def and queue are mutually exclusive."
      const extra = QUEUE_RUNNER_OPTIONS.find((k) => k !== 'queueRunnerDef' && k !== 'importScope' && opts[k] !== undefined);
      if (extra) throw invalidArgument(extra, 'no value next to queueRunnerDef (they are mutually exclusive)', opts[extra]);
      const name = (n: string) => prependNameScope(n, scope);
      this.queueName = name(def.queueName);
      this.enqueueOps = def.enqueueOpName.map(name);
      this.closeOp = def.closeOpName ? name(def.closeOpName) : null;
      this.cancelOp = def.cancelOpName ? name(def.cancelOpName) : null;
      // Legacy QueueRunnerDefs have no exception types: Python reads them as OUT_OF_RANGE.
      this.queueClosedExceptionTypes = def.queueClosedExceptionTypes.length ? [...def.queueClosedExceptionTypes] : [Code.OUT_OF_RANGE];
      return;
    }
    if (scope !== null) throw invalidArgument('importScope', "no value without queueRunnerDef (it scopes that message's names)", scope);
    const { queueName = 'queue', enqueueOps, closeOp = null, cancelOp = null, queueClosedExceptionTypes = null } = opts;
    if (typeof queueName !== 'string' || queueName === '') throw invalidArgument('queueName', 'a non-empty string', queueName);
    if (!Array.isArray(enqueueOps) || enqueueOps.length === 0)
      throw invalidArgument('enqueueOps', 'a non-empty array of operations', enqueueOps);
    this.queueName = queueName;
    this.enqueueOps = enqueueOps.map((o: unknown, i) => opName(o, `enqueueOps[${i}]`));
    this.closeOp = closeOp === null ? null : opName(closeOp, 'closeOp');
    this.cancelOp = cancelOp === null ? null : opName(cancelOp, 'cancelOp');
    this.queueClosedExceptionTypes = checkCodes(queueClosedExceptionTypes);
  }

  /**
   * Python's `QueueRunner.from_proto(queue_runner_def, import_scope)`: a runner for the ops a
   * QueueRunnerDef names, each under `importScope` when given.
   */
  static fromProto(queueRunnerDef: QueueRunnerDef, importScope?: string | null): QueueRunner {
    if (!isMessage(queueRunnerDef, QueueRunnerDefSchema)) throw invalidArgument('queueRunnerDef', 'a QueueRunnerDef', queueRunnerDef);
    return new QueueRunner({ queueRunnerDef, importScope });
  }

  /** Python's `name`: the queue's name (what `getCollection('queue_runners', scope)` filters on). */
  get name(): string {
    return this.queueName;
  }

  /**
   * Python's `to_proto(export_scope)`: the QueueRunnerDef with `exportScope` stripped from every
   * name; null when the queue is outside that scope (the exporter then leaves the runner out).
   * A missing close or cancel op is written as '' (the field's default).
   */
  toProto(exportScope?: string | null): QueueRunnerDef | null {
    if (exportScope !== undefined && exportScope !== null && typeof exportScope !== 'string') {
      throw invalidArgument('exportScope', 'a name scope (a string)', exportScope);
    }
    if (exportScope && !this.queueName.startsWith(exportScope)) return null;
    const name = (n: string | null) => (n === null ? '' : stripNameScope(n, exportScope));
    return create(QueueRunnerDefSchema, {
      queueName: name(this.queueName),
      enqueueOpName: this.enqueueOps.map(name),
      closeOpName: name(this.closeOp),
      cancelOpName: name(this.cancelOp),
      queueClosedExceptionTypes: [...this.queueClosedExceptionTypes],
    });
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
   * Python's `create_threads(sess, coord, daemon, start)`: one loop per enqueue op and, with a
   * coordinator, the close-on-stop loop, each registered with `coord`. They run only once started:
   * `start: true` starts them here, otherwise call `start()` on each (Python's default
   * start=False). Returns no loops when loops of this runner still run on `session`. Loop names are
   * Python's thread names: `QueueRunnerThread-<queue>-<op>`.
   */
  createThreads(session: SessionLike, options: CreateThreadsOptions = {}): QueueRunnerThread[] {
    if (session === null || typeof session !== 'object' || typeof (session as { run?: unknown }).run !== 'function') {
      throw invalidArgument('session', 'a session (an object with a run() method)', session);
    }
    const opts = checkOptionsObject<CreateThreadsOptions>(options, 'options', CREATE_THREADS_OPTIONS, 'QueueRunner.createThreads');
    const coord = opts.coord ?? null;
    if (coord !== null && !isCoordinator(coord)) throw invalidArgument('coord', 'a Coordinator', coord);
    checkBoolean(opts.daemon, 'daemon', { optional: true });
    checkBoolean(opts.start, 'start', { optional: true });
    const state = this.runs.get(session);
    if (state && state.live > 0) return [];
    const perSession: PerSession = { live: this.enqueueOps.length };
    this.runs.set(session, perSession);
    const starters: Array<[string, () => Promise<void>]> = this.enqueueOps.map((op) => [
      `QueueRunnerThread-${this.queueName}-${op}`,
      () => this.loop(session, op, coord, perSession),
    ]);
    if (coord) starters.push([`QueueRunnerThread-${this.queueName}-close_on_stop`, () => this.closeOnStop(session, coord)]);
    const threads = starters.map(([name, fn]) => loopThread(name, fn));
    for (const t of threads) {
      coord?.registerThread(t);
      if (opts.start === true) t.start();
    }
    return threads;
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
              logging.debug(`Ignored exception: ${messageOf(closeError)}`);
            }
          }
          return;
        }
      }
    } catch (e) {
      if (coord) {
        const error = thrownAsError(e, `QueueRunnerThread-${this.queueName}-${op} threw`);
        try {
          coord.requestStop(error);
        } catch {
          // The coordinator was joined: Python's thread dies with the error and prints it.
          logging.error(`Exception in QueueRunner after the coordinator was joined: ${messageOf(error)}`);
        }
      } else {
        logging.error(`Exception in QueueRunner: ${messageOf(e)}`);
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
      logging.debug(`Ignored exception: ${messageOf(e)}`);
    }
  }
}

/**
 * A loop that runs `body` once started. Before that it is not alive and its `done` is settled, so
 * a coordinator's join does not wait for it (Python's join skips threads that are not alive).
 */
function loopThread(name: string, body: () => Promise<void>): QueueRunnerThread {
  let ended: Promise<void> | null = null;
  let alive = false;
  return {
    name,
    get done() {
      return ended ?? Promise.resolve();
    },
    isAlive: () => alive,
    start() {
      if (ended) throw new RuntimeError(`threads can only be started once: ${name}`);
      alive = true;
      ended = Promise.resolve()
        .then(body)
        .then(
          () => {
            alive = false;
          },
          () => {
            alive = false;
          },
        );
    },
  };
}

/** Duck-typed, so that a Coordinator from another copy of the package works too. */
function isCoordinator(c: unknown): c is Coordinator {
  if (typeof c !== 'object' || c === null) return false;
  const k = c as Record<string, unknown>;
  return ['requestStop', 'shouldStop', 'waitForStop', 'registerThread'].every((m) => typeof k[m] === 'function');
}

/** `queueClosedExceptionTypes`: null/undefined (the default, OUT_OF_RANGE) or an array of TF error codes. */
function checkCodes(value: unknown): readonly number[] {
  if (value === undefined || value === null) return [Code.OUT_OF_RANGE];
  if (!Array.isArray(value)) throw invalidArgument('queueClosedExceptionTypes', 'an array of TF error codes', value);
  value.forEach((c: unknown, i) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0)
      throw invalidArgument(`queueClosedExceptionTypes[${i}]`, 'a TF error code (an integer, e.g. Code.OUT_OF_RANGE)', c);
  });
  return [...value] as number[];
}

/**
 * Starts the runners of the `queue_runners` collection items on `session` (Python's
 * `start_queue_runners(sess, coord, daemon=True, start=True)`). Returns the loops started.
 */
export function startQueueRunners(items: readonly unknown[], session: SessionLike, coord: Coordinator): CoordinatedThread[] {
  if (!Array.isArray(items)) throw invalidArgument('items', 'an array of queue_runners collection items', items);
  const threads: CoordinatedThread[] = [];
  for (const item of items) threads.push(...QueueRunner.fromCollectionItem(item).createThreads(session, { coord, start: true }));
  return threads;
}
