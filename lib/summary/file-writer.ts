/**
 * FileWriter: Python's `tf.compat.v1.summary.FileWriter` over TF's own event-file writer
 * (event-file.ts). The `add*` methods queue events synchronously, in call order; everything that
 * touches the file runs on one serial chain, so events land in the order of the `add*` calls.
 * Where it differs from Python, and why: docs/differences-from-python.md#events-files.
 */
import { usesTfFilesystem } from '../core/tf-filesystem';
import path from 'node:path';
import { clone, create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ArgumentError, ValueError, invalidArgument } from '../core/errors';
import { checkOptionNames, checkPath } from '../core/options';
import { Graph } from '../core/graph';
import { Tensor } from '../core/tensor';
import { opDef } from '../core/op-defs';
import { messageFromPlain } from '../core/plain-message';
import { tfVersion } from '../native';
import * as logging from '../core/logging';
import {
  EventSchema,
  SessionLogSchema,
  TaggedRunMetadataSchema,
  type Event,
  type SessionLog,
} from '../proto/gen/tensorflow/core/util/event_pb';
import { SummarySchema, Summary_ValueSchema, type Summary } from '../proto/gen/tensorflow/core/framework/summary_pb';
import { GraphDefSchema, type GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import { MetaGraphDefSchema, type MetaGraphDef } from '../proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { OpListSchema, type OpDef } from '../proto/gen/tensorflow/core/framework/op_def_pb';
import { RunMetadataSchema, type RunMetadata } from '../proto/gen/tensorflow/core/protobuf/config_pb';
import { EventField, encodeEvent, encodeSummary } from './event-encoding';
import { EventFile } from './event-file';
import { checkSessionStatus } from './summary-builders';

/** Events handed to the file per pump step. */
const PUMP_BATCH = 64;

/** A global step: an integer number, a bigint, or a one-element integer Tensor (a fetched step). */
export type GlobalStep = number | bigint | Tensor;

export interface FileWriterOptions {
  /**
   * Written right after the file opens: a `graph_def` event, then a `meta_graph_def` event
   * (Python's `graph` argument). A Graph, a GraphDef message or a serialized GraphDef.
   */
  graph?: Graph | GraphDef | Uint8Array | null;
  /** The MetaGraphDef written after the graph (default: built from `graph`, without collections). */
  metaGraphDef?: MetaGraphDef | Uint8Array | null;
  /** Events TF's writer keeps in memory before it writes and syncs the file. Default 10. */
  maxQueue?: number;
  /** Seconds between flushes. Default 120. */
  flushSecs?: number;
  /** Appended to the file name (after TF's `.<pid>.<n>`). Default none. */
  filenameSuffix?: string | null;
}

const FILE_WRITER_OPTION_NAMES = ['graph', 'metaGraphDef', 'maxQueue', 'flushSecs', 'filenameSuffix'] as const satisfies Array<
  keyof FileWriterOptions
>;

/** The checks of a log directory parameter (FileWriter, FileWriterCache.get): a non-empty path without NUL. */
export function checkLogdir(logdir: unknown): string {
  if (typeof logdir !== 'string' || logdir === '') throw invalidArgument('logdir', 'a non-empty directory path string', logdir);
  checkPath(logdir, 'logdir');
  usesTfFilesystem(logdir, 'logdir'); // an unknown scheme: UnsupportedFileSystemError naming it
  return logdir;
}

const CLOSED_WARNING = 'Attempting to use a closed FileWriter. The operation will be a noop unless the FileWriter is explicitly reopened.';

// ---------------------------------------------------------------------------------------------
// Writers flushed at process exit.

const liveWriters = new Set<FileWriter>();
let exitHandlerInstalled = false;

function onExit(): void {
  for (const w of [...liveWriters]) {
    try {
      w.exitFlushSync();
    } catch (e) {
      try {
        process.stderr.write(`tf-monitored: could not flush the events file in ${w.logdir} at exit: ${(e as Error).message}\n`);
      } catch {
        /* nothing left to do */
      }
    }
  }
}

function track(w: FileWriter): void {
  liveWriters.add(w);
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on('exit', onExit);
  }
}

// ---------------------------------------------------------------------------------------------
// Argument checks.

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The step as int64, or null when none is given (undefined/null). */
export function checkStep(step: unknown, param = 'globalStep'): bigint | null {
  if (step === undefined || step === null) return null;
  const expected = 'an integer step (a number, a bigint or a one-element integer Tensor)';
  if (typeof step === 'number') {
    if (!Number.isSafeInteger(step)) throw invalidArgument(param, expected, step);
    return BigInt(step);
  }
  if (typeof step === 'bigint') {
    if (step < INT64_MIN || step > INT64_MAX) throw invalidArgument(param, 'an integer step within int64', step);
    return step;
  }
  if (step instanceof Tensor) {
    const integer = /^u?int(8|16|32|64)$/.test(step.dtype);
    const d = integer && step.size === 1 ? step.data : null;
    const v = d && !Array.isArray(d) ? (d as ArrayLike<number | bigint>)[0] : undefined;
    // Event.step is int64: a uint64 step above int64's maximum would wrap to a negative step.
    if (typeof v === 'bigint') {
      if (v > INT64_MAX) throw invalidArgument(param, 'an integer step within int64', `${step.dtype} tensor holding ${v}`);
      return v;
    }
    if (typeof v === 'number') return BigInt(v);
    throw invalidArgument(param, expected, `${step.dtype} tensor of shape [${step.shape}]`);
  }
  throw invalidArgument(param, expected, step);
}

function isMessageOf(x: unknown, schema: DescMessage): boolean {
  return x !== null && typeof x === 'object' && (x as { $typeName?: unknown }).$typeName === schema.typeName;
}

/** A message given as itself, as serialized bytes (validated) or, when `plain`, as a plain object. */
function messageArg<Desc extends DescMessage>(schema: Desc, value: unknown, param: string, plain: boolean): MessageShape<Desc> {
  if (value instanceof Uint8Array) {
    try {
      return fromBinary(schema, value);
    } catch (e) {
      throw new ArgumentError(
        param,
        `Expected a serialized ${schema.typeName} for ${param} but the bytes do not parse: ${(e as Error).message}`,
      );
    }
  }
  if (isMessageOf(value, schema)) return value as MessageShape<Desc>;
  if (
    plain &&
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    (value as { $typeName?: unknown }).$typeName === undefined
  ) {
    return messageFromPlain(schema, value, param);
  }
  const got =
    value !== null && typeof value === 'object' && typeof (value as { $typeName?: unknown }).$typeName === 'string'
      ? `a ${(value as { $typeName: string }).$typeName} message`
      : value;
  throw invalidArgument(
    param,
    `a ${schema.typeName} message or its serialized bytes${plain ? ' (or a plain object of its fields)' : ''}`,
    got,
  );
}

function bytesArg(schema: DescMessage, value: unknown, param: string, plain = false): Uint8Array {
  if (value instanceof Uint8Array) {
    messageArg(schema, value, param, false); // validates
    return value;
  }
  return toBinary(schema, messageArg(schema, value, param, plain));
}

function checkPositiveInt(value: unknown, param: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 0x7fffffff) {
    throw invalidArgument(param, 'a positive integer', value);
  }
  return value as number;
}

/** The GraphDef bytes of a Graph, a GraphDef message or serialized GraphDef bytes. */
function graphDefBytes(graph: unknown, param: string): Uint8Array {
  if (graph instanceof Graph) return graph.toGraphDef();
  if (graph instanceof Uint8Array || isMessageOf(graph, GraphDefSchema)) return bytesArg(GraphDefSchema, graph, param);
  throw invalidArgument(param, 'a Graph, a GraphDef message or a serialized GraphDef', graph);
}

/**
 * A MetaGraphDef for a graph as Python's FileWriter writes at open: the GraphDef and the stripped
 * op list (the OpDefs of the op types used), with the TF version. Collections are not included.
 */
export function metaGraphDefFromGraphDef(graphDef: GraphDef | Uint8Array): MetaGraphDef {
  const gd = graphDef instanceof Uint8Array ? fromBinary(GraphDefSchema, graphDef) : graphDef;
  const used = new Set<string>();
  for (const n of gd.node) used.add(n.op);
  for (const f of gd.library?.function ?? []) for (const n of f.nodeDef) used.add(n.op);
  const ops: OpDef[] = [];
  for (const name of [...used].sort()) {
    const def = opDef(name);
    if (def) ops.push(def);
  }
  return create(MetaGraphDefSchema, {
    metaInfoDef: { strippedOpList: create(OpListSchema, { op: ops }), tensorflowVersion: tfVersion() },
    graphDef: gd,
  });
}

function now(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

// ---------------------------------------------------------------------------------------------

interface ClosingWork {
  file: EventFile;
  events: Uint8Array[];
  started: boolean;
}

/**
 * Python's `tf.compat.v1.summary.FileWriter`.
 *
 * ```ts
 * const writer = new FileWriter('runs/a', { graph });          // file + graph events written now
 * writer.addSummary(scalarSummary('loss', 0.25), 100);
 * writer.addSessionLog({ status: 'START' }, 100);
 * await writer.flush();                                       // on disk (fsync) when it resolves
 * await writer.close();
 * ```
 *
 * How it works. The `add*` methods validate their arguments, build the serialized `tensorflow.Event`
 * (wall_time = now in float seconds, step when one is given) and queue it, synchronously, in call
 * order. A pump hands the queue to the events file (event-file.ts), which writes TF's format through
 * TF's filesystem layer and syncs on a worker thread. Everything that touches TF (writes, flush, close) runs on
 * one serial chain, so events land in the file in the order the `add*` calls were made, whatever
 * the async interleaving of the callers.
 */
export class FileWriter {
  /** The directory given to the constructor (Python's `get_logdir()`). */
  readonly logdir: string;
  private readonly maxQueue: number;
  private readonly flushSecs: number;
  private readonly filenameSuffix: string;
  private file: EventFile | null = null;
  private isClosed = true;
  private pending: Uint8Array[] = [];
  private pendingHead = 0;
  private pumpQueued = false;
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private warnedClosed = false;
  private closingWork: ClosingWork | null = null;
  private readonly seenSummaryTags = new Set<string>();
  private readonly sessionRunTags = new Set<string>();

  /**
   * Opens `<logdir>/events.out.tfevents...` (creating the directory) and writes its first record,
   * synchronously. With `graph`, writes a graph_def and a meta_graph_def event next.
   */
  constructor(logdir: string, opts: FileWriterOptions = {}) {
    checkLogdir(logdir);
    if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
    checkOptionNames(opts, FILE_WRITER_OPTION_NAMES, 'FileWriter');
    this.logdir = logdir;
    this.maxQueue = opts.maxQueue === undefined ? 10 : checkPositiveInt(opts.maxQueue, 'maxQueue');
    const flushSecs = opts.flushSecs === undefined ? 120 : opts.flushSecs;
    if (typeof flushSecs !== 'number' || !(flushSecs > 0) || flushSecs * 1000 > 0x7fffffff) {
      throw invalidArgument('flushSecs', 'a positive number of seconds (at most 2147483)', opts.flushSecs);
    }
    this.flushSecs = flushSecs;
    const suffix = opts.filenameSuffix ?? '';
    if (typeof suffix !== 'string' || suffix.includes('/') || suffix.includes('\0')) {
      throw invalidArgument('filenameSuffix', 'a string without "/" or NUL', opts.filenameSuffix);
    }
    this.filenameSuffix = suffix;
    const graphBytes = opts.graph === undefined || opts.graph === null ? null : graphDefBytes(opts.graph, 'graph');
    const metaBytes =
      opts.metaGraphDef === undefined || opts.metaGraphDef === null
        ? null
        : bytesArg(MetaGraphDefSchema, opts.metaGraphDef, 'metaGraphDef');
    this.open();
    if (graphBytes) {
      this.enqueue(encodeEvent(now(), null, EventField.graphDef, graphBytes));
      this.enqueue(
        encodeEvent(now(), null, EventField.metaGraphDef, metaBytes ?? toBinary(MetaGraphDefSchema, metaGraphDefFromGraphDef(graphBytes))),
      );
    } else if (metaBytes) {
      this.enqueue(encodeEvent(now(), null, EventField.metaGraphDef, metaBytes));
    }
  }

  private open(): void {
    this.file = EventFile.open({
      logdir: this.logdir,
      maxQueue: this.maxQueue,
      flushMillis: Math.round(this.flushSecs * 1000),
      filenameSuffix: this.filenameSuffix,
    });
    this.isClosed = false;
    this.warnedClosed = false;
    track(this);
  }

  /** Python's `get_logdir()`. */
  getLogdir(): string {
    return this.logdir;
  }

  /** The path of the events file being written (null when closed, or not a local path). */
  get fileName(): string | null {
    return this.file?.fileName ?? null;
  }

  /** True after `close()` until `reopen()`. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Events queued in JS and not yet handed to TF's writer. */
  get pendingCount(): number {
    return this.pending.length - this.pendingHead;
  }

  // ---- adding events -------------------------------------------------------------------------

  /** Writes an Event as it is (no wall_time or step is set: Python's `add_event`). */
  addEvent(event: Event | Uint8Array): void {
    const bytes = bytesArg(EventSchema, event, 'event');
    if (this.checkOpen()) this.enqueue(bytes);
  }

  /**
   * Writes a Summary (a message or its serialized bytes, e.g. fetched from a summary op) at
   * `globalStep`. As in Python, a value's `metadata` is written only the first time its tag is seen
   * by this writer.
   */
  addSummary(summary: Summary | Uint8Array, globalStep?: GlobalStep | null): void {
    const step = checkStep(globalStep);
    const msg = messageArg(SummarySchema, summary, 'summary', false);
    let out = msg;
    let stripped = false;
    for (let i = 0; i < msg.value.length; i++) {
      const v = msg.value[i];
      if (!v.metadata) continue;
      if (this.seenSummaryTags.has(v.tag)) {
        if (!stripped) {
          out = create(SummarySchema, { value: msg.value.slice() });
          stripped = true;
        }
        const copy = clone(Summary_ValueSchema, v);
        copy.metadata = undefined;
        out.value[i] = copy;
        continue;
      }
      this.seenSummaryTags.add(v.tag);
    }
    if (!this.checkOpen()) return;
    const payload = summary instanceof Uint8Array && !stripped ? summary : encodeSummary(out);
    this.enqueue(encodeEvent(now(), step, EventField.summary, payload));
  }

  /** Writes a `graph_def` event (a Graph, a GraphDef message or serialized GraphDef). */
  addGraph(graph: Graph | GraphDef | Uint8Array, globalStep?: GlobalStep | null): void {
    const step = checkStep(globalStep);
    const bytes = graphDefBytes(graph, 'graph');
    if (this.checkOpen()) this.enqueue(encodeEvent(now(), step, EventField.graphDef, bytes));
  }

  /** Writes a `meta_graph_def` event. */
  addMetaGraph(metaGraphDef: MetaGraphDef | Uint8Array, globalStep?: GlobalStep | null): void {
    const step = checkStep(globalStep);
    const bytes = bytesArg(MetaGraphDefSchema, metaGraphDef, 'metaGraphDef');
    if (this.checkOpen()) this.enqueue(encodeEvent(now(), step, EventField.metaGraphDef, bytes));
  }

  /**
   * Writes a `session_log` event: a SessionLog message, its bytes, or a plain object such as
   * `{ status: 'CHECKPOINT', checkpointPath: 'runs/a/model.ckpt' }`. The status must be one of
   * SessionLog's (START, STOP, CHECKPOINT, STATUS_UNSPECIFIED), as `sessionLog()` requires.
   */
  addSessionLog(
    sessionLog: SessionLog | Uint8Array | { status?: string | number; checkpointPath?: string; msg?: string },
    globalStep?: GlobalStep | null,
  ): void {
    const step = checkStep(globalStep);
    const message = messageArg(SessionLogSchema, sessionLog, 'sessionLog', true);
    checkSessionStatus(message.status, 'sessionLog.status'); // as sessionLog() checks it
    const bytes = sessionLog instanceof Uint8Array ? sessionLog : toBinary(SessionLogSchema, message);
    if (this.checkOpen()) this.enqueue(encodeEvent(now(), step, EventField.sessionLog, bytes));
  }

  /**
   * Writes a `tagged_run_metadata` event (RunMetadata message or bytes, e.g. `runMetadata.bytes`
   * from `Session.run`). A tag may be used once per writer: ValueError "The provided tag was
   * already used for this event type" otherwise, as in Python.
   */
  addRunMetadata(runMetadata: RunMetadata | Uint8Array, tag: string, globalStep?: GlobalStep | null): void {
    const step = checkStep(globalStep);
    if (typeof tag !== 'string') throw invalidArgument('tag', 'a string', tag);
    const bytes = bytesArg(RunMetadataSchema, runMetadata, 'runMetadata');
    if (this.sessionRunTags.has(tag)) throw new ValueError('The provided tag was already used for this event type');
    this.sessionRunTags.add(tag);
    const tagged = toBinary(TaggedRunMetadataSchema, create(TaggedRunMetadataSchema, { tag, runMetadata: bytes }));
    if (this.checkOpen()) this.enqueue(encodeEvent(now(), step, EventField.taggedRunMetadata, tagged));
  }

  private checkOpen(): boolean {
    if (!this.isClosed) return true;
    if (!this.warnedClosed) {
      this.warnedClosed = true;
      logging.warning(CLOSED_WARNING);
    }
    return false;
  }

  // ---- the pump ------------------------------------------------------------------------------

  private enqueue(bytes: Uint8Array): void {
    this.pending.push(bytes);
    if (!this.pumpQueued) {
      this.pumpQueued = true;
      void this.schedule(() => this.drain());
    }
  }

  private takePending(max = Infinity): Uint8Array[] {
    const n = Math.min(this.pending.length - this.pendingHead, max);
    const out = this.pending.slice(this.pendingHead, this.pendingHead + n);
    this.pendingHead += n;
    if (this.pendingHead === this.pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    } else if (this.pendingHead > 4096 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    return out;
  }

  /** Runs TF work strictly one after another; a task's failure is recorded, never thrown here. */
  private schedule(task: () => Promise<void>): Promise<void> {
    const run = this.tail.then(task).catch((e: unknown) => this.fail(e));
    this.tail = run;
    return run;
  }

  private fail(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    if (!this.failure) {
      this.failure = err;
      logging.error(`Writing events to ${this.logdir} failed: ${err.message}`);
    }
  }

  private takeFailure(): void {
    const f = this.failure;
    this.failure = null;
    if (f) throw f;
  }

  /** Hands every queued event to the file, PUMP_BATCH at a time (the event loop turns between). */
  private async drain(): Promise<void> {
    try {
      while (this.file && this.pendingCount > 0) {
        const file = this.file;
        const batch = this.takePending(PUMP_BATCH);
        try {
          await file.write(batch);
        } catch (e) {
          this.fail(e);
        }
      }
    } finally {
      this.pumpQueued = false;
    }
    this.armFlushTimer();
  }

  private armFlushTimer(): void {
    if (this.flushTimer || !this.file) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      const file = this.file;
      if (file) void this.schedule(() => file.flush());
    }, this.flushSecs * 1000);
    this.flushTimer.unref();
  }

  private clearFlushTimer(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
  }

  // ---- flush / close / reopen ----------------------------------------------------------------

  /**
   * Writes every event added so far and syncs the file; resolves when the data is on disk. Rejects
   * with the first error TF reported since the last flush, if any.
   */
  async flush(): Promise<void> {
    if (!this.checkOpen()) return;
    this.clearFlushTimer();
    await this.schedule(async () => {
      await this.drain();
      const file = this.file;
      if (file) await file.flush();
    });
    this.takeFailure();
  }

  /**
   * Blocking flush: writes the queued events and syncs the file before returning. For exit and
   * signal handlers; elsewhere prefer `flush()`. A batch that an earlier async write is handing to
   * TF at this moment may land after the events written here.
   */
  flushSync(): void {
    if (!this.checkOpen()) return;
    this.clearFlushTimer();
    const file = this.file!;
    const batch = this.takePending();
    if (batch.length) file.writeSync(batch);
    file.flushSync();
  }

  /** @internal The exit handler: flush whatever this writer still holds, including a pending close. */
  exitFlushSync(): void {
    const c = this.closingWork;
    if (c && !c.started) {
      c.started = true;
      if (c.events.length) c.file.writeSync(c.events);
      c.file.flushSync();
    }
    if (this.file && !this.isClosed) {
      const batch = this.takePending();
      if (batch.length) this.file.writeSync(batch);
      this.file.flushSync();
    }
  }

  /**
   * Writes what is queued, flushes and closes the file. Later `add*` calls are no-file (with a
   * warning) until `reopen()`. Resolves when the file is closed; idempotent.
   */
  async close(): Promise<void> {
    if (this.isClosed) {
      await this.tail;
      return;
    }
    this.isClosed = true;
    this.clearFlushTimer();
    const work: ClosingWork = { file: this.file!, events: this.takePending(), started: false };
    this.file = null;
    this.closingWork = work;
    await this.schedule(async () => {
      try {
        if (work.started) return; // written by the exit handler
        work.started = true;
        if (work.events.length) await work.file.write(work.events);
        await work.file.close();
      } finally {
        if (this.closingWork === work) this.closingWork = null;
        if (this.isClosed) liveWriters.delete(this);
      }
    });
    this.takeFailure();
  }

  /**
   * Opens a new events file after `close()` (Python's `reopen()`); does nothing when open. The new
   * file is created at once; its first record is the file-version record.
   */
  reopen(): void {
    if (!this.isClosed) return;
    this.open();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  toString(): string {
    return `FileWriter(${this.logdir})`;
  }
}

/** The key FileWriterCache uses for a directory: the absolute path (URIs as given). */
export function logdirKey(logdir: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(logdir)) return logdir.replace(/\/+$/, '');
  return path.resolve(logdir);
}
