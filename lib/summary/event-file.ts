/**
 * One events file, written the way TF's C++ summary file writer writes it (name, first record,
 * TFRecord framing, queueing and fsync points), through TF's own filesystem layer. No TF session is
 * opened for it: why in docs/design.md#8-events-files-in-tfs-own-format-without-a-tf-session; the
 * writer's rules in docs/python-parity.md#87-tfs-c-events-writer.
 *
 * @internal Used by FileWriter; not part of the public API.
 */
import os from 'node:os';
import { TFError, UnknownError, errorForCode } from '../core/errors';
import { joinPath, recursivelyCreateDir } from '../core/tf-filesystem';
import { native, type NativeWritableFile } from '../native';
import { maskedCrc32c } from '../core/crc32c';
import { EventSchema, SourceMetadataSchema } from '../proto/gen/tensorflow/core/util/event_pb';
import { create, toBinary } from '@bufbuild/protobuf';

export interface EventFileOptions {
  logdir: string;
  maxQueue: number;
  flushMillis: number;
  filenameSuffix: string;
}

/** TFRecord framing of each record: length (u64 LE), masked CRC32C of the length, data, masked CRC32C of the data. */
function frameRecords(records: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const r of records) size += 16 + r.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const r of records) {
    view.setBigUint64(at, BigInt(r.length), true);
    view.setUint32(at + 8, maskedCrc32c(out, at, at + 8), true);
    out.set(r, at + 12);
    view.setUint32(at + 12 + r.length, maskedCrc32c(r), true);
    at += 16 + r.length;
  }
  return out;
}

function fileVersionEvent(wallTime: number): Uint8Array {
  return toBinary(
    EventSchema,
    create(EventSchema, {
      wallTime,
      what: { case: 'fileVersion', value: 'brain.Event:2' },
      sourceMetadata: create(SourceMetadataSchema, { writer: 'tensorflow.core.util.events_writer' }),
    }),
  );
}

export class EventFile {
  /** The events file's path (as TF names it: the log directory joined with the file name). */
  readonly fileName: string;
  private readonly file: NativeWritableFile;
  private readonly maxQueue: number;
  private readonly flushMillis: number;
  private queue: Uint8Array[] = [];
  /** Records handed to the file since its last sync. */
  private unsynced = 0;
  private lastFlush = Date.now();
  private closed = false;

  private constructor(file: NativeWritableFile, fileName: string, opts: EventFileOptions) {
    this.file = file;
    this.fileName = fileName;
    this.maxQueue = opts.maxQueue;
    this.flushMillis = opts.flushMillis;
  }

  /**
   * Makes the directory, creates the file and writes its first record, synchronously (as Python's
   * FileWriter constructor does): the file exists, with that record on disk, when this returns.
   * TF's errors (PermissionDeniedError, FailedPreconditionError, ...) are thrown typed, with the
   * log directory named.
   */
  static open(opts: EventFileOptions): EventFile {
    let file: NativeWritableFile | null = null;
    try {
      recursivelyCreateDir(opts.logdir);
      const secs = Math.floor(Date.now() / 1000);
      const sep = opts.filenameSuffix.startsWith('.') ? '' : '.';
      const unique = `.${process.pid}.${native().nextFileId()}${sep}${opts.filenameSuffix}`;
      const name = joinPath(opts.logdir, `events.out.tfevents.${String(secs).padStart(10, '0')}.${os.hostname()}${unique}`);
      file = new (native().NativeWritableFile)(name);
      file.append(frameRecords([fileVersionEvent(secs)]));
      file.flushSync();
      return new EventFile(file, name, opts);
    } catch (e) {
      try {
        file?.closeSync();
      } catch {
        /* the open error is the one to report */
      }
      if (e instanceof TFError) throw errorForCode(e.code, `Could not open an events file in ${opts.logdir}: ${e.message}`);
      throw e;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues the events; returns true when the queue is due to be written (TF's rule, see above). */
  private enqueue(events: Uint8Array[]): boolean {
    let due = false;
    for (const e of events) {
      this.queue.push(e);
      if (this.queue.length > this.maxQueue || Date.now() - this.lastFlush > this.flushMillis) due = true;
    }
    return due;
  }

  /** Hands the queue to the file; returns whether anything awaits a sync. */
  private drainQueue(): boolean {
    if (this.queue.length) {
      const records = this.queue;
      this.queue = [];
      this.unsynced += records.length;
      try {
        this.file.append(frameRecords(records));
      } catch (e) {
        throw this.flushError(e);
      }
    }
    if (this.unsynced === 0) return false;
    if (native().fileStat(this.fileName) === null) {
      throw new UnknownError(`The events file ${this.fileName} has disappeared.`);
    }
    return true;
  }

  private synced(): void {
    this.unsynced = 0;
    this.lastFlush = Date.now();
  }

  /** Queues the events, in order; writes and syncs when the queue is due. */
  async write(events: Uint8Array[]): Promise<void> {
    if (this.enqueue(events)) await this.flush();
  }

  /** Same as {@link write}, blocking (used by the exit handler). */
  writeSync(events: Uint8Array[]): void {
    if (this.enqueue(events)) this.flushSync();
  }

  /** Writes the queue and fsyncs the file; resolves when the data is on disk. */
  async flush(): Promise<void> {
    if (!this.drainQueue()) return;
    try {
      await this.file.flush();
    } catch (e) {
      throw this.flushError(e);
    }
    this.synced();
  }

  flushSync(): void {
    if (!this.drainQueue()) return;
    try {
      this.file.flushSync();
    } catch (e) {
      throw this.flushError(e);
    }
    this.synced();
  }

  /** TF's error with TF's context lines: how many events were not written, and where. */
  private flushError(e: unknown): unknown {
    if (!(e instanceof TFError)) return e;
    return errorForCode(
      e.code,
      `${e.message}\n\tFailed to flush ${this.unsynced} events to ${this.fileName}\n\tCould not flush events file.`,
    );
  }

  /**
   * Flushes and closes the file. The file is closed even when the flush fails (a full disk); the
   * flush's error is thrown after, so a torn last record is reported, not silent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let flushError: unknown = null;
    try {
      await this.flush();
    } catch (e) {
      flushError = e;
    }
    await this.file.close();
    if (flushError) throw flushError;
  }
}
