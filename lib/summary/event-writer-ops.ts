/**
 * TF's own event-file writer, driven through TF's summary-writer ops (DESIGN.md decision 8): a
 * small private Graph and Session per open events file, so the file name, the first record, the
 * TFRecord framing, the CRCs and the fsync on flush are all TensorFlow's.
 *
 * The private graph holds
 * ```
 *   w       = SummaryWriter(shared_name=<unique>)             resource handle
 *   create  = CreateSummaryFileWriter(w, logdir, max_queue, flush_millis, filename_suffix)
 *   import_K= Placeholder(string, [K]) → Unpack → K × ImportEvent(w, event_i), chained by
 *             control dependencies so the K events are written in order (K = 1, 2, 4, ... 64,
 *             built when first needed)
 *   flush   = FlushSummaryWriter(w)                           write TF's queue, then fsync
 *   close   = CloseSummaryWriter(w)                           flush, close the file, drop the writer
 * ```
 * Serialized `tensorflow.Event`s are fed as strings; TF parses and writes each as one record.
 * One session run writes a whole batch, which is what makes the writer fast (the per-run cost of
 * ~50 µs async is paid once per batch, not per event). The first run of each batch size costs TF
 * a few milliseconds (it builds an executor for that subgraph), once per writer, on a worker
 * thread. Batches above 64 gained nothing measurable and cost more on first use.
 *
 * What TF's writer does (tensorflow/core/summary/summary_file_writer.cc, util/events_writer.cc):
 * - `create` makes the directory (recursively) and opens
 *   `<logdir>/events.out.tfevents.<secs %010d>.<hostname>.<pid>.<n>.<suffix>`, where `n` is a
 *   process-wide counter of writers opened by this libtensorflow, and a `.` is put before a suffix
 *   that does not start with one (so an empty suffix leaves a trailing `.`). It writes and flushes
 *   the file-version record (`brain.Event:2`, source_metadata.writer
 *   `tensorflow.core.util.events_writer`, wall_time = the integer seconds) at once.
 * - `ImportEvent` appends to an in-memory queue; when the queue holds more than `max_queue` events,
 *   or `flush_millis` passed since the last flush, the queue is written and the file is synced.
 * - `FlushSummaryWriter` writes the queue and syncs (fsync) the file.
 * - `CloseSummaryWriter` deletes the resource: the writer flushes and closes its file. Running
 *   `create` again afterwards opens a new file.
 *
 * @internal Used by FileWriter; not part of the public API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TFError, errorForCode } from '../core/errors';
import { Graph, Operation } from '../core/graph';
import { Session } from '../core/session';
import type { TensorLike } from '../core/tensor';

/** Largest batch written by one session run. */
export const MAX_BATCH = 64;

let writerCounter = 0;

export interface EventWriterOpsOptions {
  logdir: string;
  maxQueue: number;
  flushMillis: number;
  filenameSuffix: string;
}

function isLocalPath(p: string): boolean {
  return !/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(p);
}

function listDir(dir: string): Set<string> {
  try {
    return new Set(fs.readdirSync(dir));
  } catch {
    return new Set();
  }
}

export class EventWriterOps {
  /** The events file TF opened (local paths only; null when it could not be told). */
  readonly fileName: string | null;
  private readonly graph: Graph;
  private readonly session: Session;
  private readonly writer: Operation;
  private readonly batchOps = new Map<number, string>();
  private closed = false;

  private constructor(graph: Graph, session: Session, writer: Operation, fileName: string | null) {
    this.graph = graph;
    this.session = session;
    this.writer = writer;
    this.fileName = fileName;
  }

  /**
   * Builds the private graph and session and opens the events file, synchronously (as Python's
   * FileWriter constructor does): the file exists, with its first record, when this returns.
   * TF's errors (e.g. PermissionDeniedError, FailedPreconditionError) are thrown as they are.
   */
  static open(opts: EventWriterOpsOptions): EventWriterOps {
    const g = new Graph();
    const w = g.addOp({ type: 'SummaryWriter', name: 'writer', attrs: { shared_name: `tf_monitored_file_writer_${process.pid}_${++writerCounter}` } });
    const logdir = g.addOp({ type: 'Const', name: 'logdir', attrs: { dtype: 'string', value: opts.logdir } });
    const maxQueue = g.addOp({ type: 'Const', name: 'max_queue', attrs: { dtype: 'int32', value: opts.maxQueue } });
    const flushMillis = g.addOp({ type: 'Const', name: 'flush_millis', attrs: { dtype: 'int32', value: opts.flushMillis } });
    const suffix = g.addOp({ type: 'Const', name: 'filename_suffix', attrs: { dtype: 'string', value: opts.filenameSuffix } });
    g.addOp({ type: 'CreateSummaryFileWriter', name: 'create', inputs: [w, logdir, maxQueue, flushMillis, suffix] });
    g.addOp({ type: 'FlushSummaryWriter', name: 'flush', inputs: [w] });
    g.addOp({ type: 'CloseSummaryWriter', name: 'close', inputs: [w] });
    // Ops run inline in the calling thread: no inter-op thread pool hop per tiny op.
    const session = new Session(g, { config: { interOpParallelismThreads: -1, intraOpParallelismThreads: 1 } });
    const local = isLocalPath(opts.logdir);
    const before = local ? listDir(opts.logdir) : new Set<string>();
    try {
      session.runSync('create');
    } catch (e) {
      void session.close();
      if (e instanceof TFError) {
        const msg = e.message.replace(/\s*\[\[\{\{node create\}\}\]\]\s*$/, '');
        throw errorForCode(e.code, `Could not open an events file in ${opts.logdir}: ${msg}`);
      }
      throw e;
    }
    let fileName: string | null = null;
    if (local) {
      const mine = `.${process.pid}.`;
      const created = [...listDir(opts.logdir)].filter((f) => !before.has(f) && f.includes('tfevents') && f.includes(mine));
      if (created.length) {
        const counterOf = (f: string) => Number(/\.(\d+)(?:\.|$)/.exec(f.slice(f.indexOf(mine) + mine.length - 1))?.[1] ?? -1);
        created.sort((a, b) => counterOf(a) - counterOf(b));
        fileName = path.join(opts.logdir, created[created.length - 1]);
      }
    }
    return new EventWriterOps(g, session, w, fileName);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The target op that writes a batch of exactly `k` events (k a power of two ≤ MAX_BATCH). */
  private batchOp(k: number): string {
    let name = this.batchOps.get(k);
    if (name) return name;
    const g = this.graph;
    // k = 1 feeds a scalar; larger batches a vector that Unpack splits.
    const events = g.addOp({ type: 'Placeholder', name: `events_${k}`, attrs: { dtype: 'string', shape: k === 1 ? [] : [k] } });
    let prev: Operation | null = null;
    if (k === 1) {
      prev = g.addOp({ type: 'ImportEvent', name: `import_${k}/0`, inputs: [this.writer, events] });
    } else {
      const parts = g.addOp({ type: 'Unpack', name: `events_${k}/unpack`, inputs: [events], attrs: { num: k, axis: 0 } });
      for (let i = 0; i < k; i++) {
        prev = g.addOp({
          type: 'ImportEvent',
          name: `import_${k}/${i}`,
          inputs: [this.writer, parts.output(i)],
          controlInputs: prev ? [prev] : [],
        });
      }
    }
    name = prev!.name;
    this.batchOps.set(k, name);
    return name;
  }

  /** Splits n events into runs of power-of-two sizes, largest first. */
  private static chunks(n: number): number[] {
    const out: number[] = [];
    while (n > 0) {
      let k = 1;
      while (k * 2 <= n && k * 2 <= MAX_BATCH) k *= 2;
      out.push(k);
      n -= k;
    }
    return out;
  }

  private feeds(k: number, events: Uint8Array[]): Record<string, TensorLike> {
    return { [`events_${k}:0`]: { dtype: 'string', shape: k === 1 ? [] : [k], data: events } };
  }

  /** Hands the events to TF's writer, in order (async: TF runs on a worker thread). */
  async write(events: Uint8Array[]): Promise<void> {
    let at = 0;
    for (const k of EventWriterOps.chunks(events.length)) {
      const target = this.batchOp(k);
      await this.session.run(target, this.feeds(k, events.slice(at, at + k)));
      at += k;
    }
  }

  /** Same as {@link write}, blocking (used by the exit handler). */
  writeSync(events: Uint8Array[]): void {
    let at = 0;
    for (const k of EventWriterOps.chunks(events.length)) {
      const target = this.batchOp(k);
      this.session.runSync(target, this.feeds(k, events.slice(at, at + k)));
      at += k;
    }
  }

  /** Writes TF's queue and fsyncs the file; resolves when the data is on disk. */
  async flush(): Promise<void> {
    await this.session.run('flush');
  }

  flushSync(): void {
    this.session.runSync('flush');
  }

  /**
   * Flushes and closes the file (TF deletes its writer), then frees the private session. The
   * explicit flush comes first because TF's close only logs a failed final write (its writer's
   * destructor flushes): a full disk would leave a torn last record and a close that succeeded.
   * The file is closed either way; the flush's error is thrown after.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let flushError: unknown = null;
    try {
      try {
        await this.session.run('flush');
      } catch (e) {
        flushError = e;
      }
      await this.session.run('close');
    } finally {
      await this.session.close();
    }
    if (flushError) throw flushError;
  }
}
