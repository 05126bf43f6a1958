/**
 * Reading event files back: `summaryIterator(path)` is Python's
 * `tf.compat.v1.train.summary_iterator`, as an async generator that streams the file. Every
 * record's framing and CRCs are checked (docs/python-parity.md §8.3); a bad record is a
 * DataLossError after every good record before it was yielded, as in Python.
 */
import { open } from 'node:fs/promises';
import * as io from '../core/file-io';
import { fromBinary } from '@bufbuild/protobuf';
import { DataLossError, FailedPreconditionError, invalidArgument } from '../core/errors';
import { checkOptionNames, checkPath } from '../core/options';
import { ioError } from '../core/file-paths';
import { EventSchema, type Event } from '../proto/gen/tensorflow/core/util/event_pb';
import { maskedCrc32c } from '../core/crc32c';

export interface SummaryIteratorOptions {
  /** Bytes read per file read (default 1 MiB). */
  chunkSize?: number;
}

const ITERATOR_OPTION_NAMES = ['chunkSize'] as const satisfies Array<keyof SummaryIteratorOptions>;

/** One TFRecord: its start offset in the file and its data (a view valid until the next yield). */
export interface RawRecord {
  offset: number;
  data: Uint8Array;
}

/** What the reader needs of a file: Node's FileHandle, or {@link tfSource}. */
interface RecordSource {
  stat(): Promise<{ isDirectory(): boolean }>;
  read(buf: Uint8Array, offset: number, length: number, position: null): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/**
 * A file through TF's filesystem (a path with a scheme), read whole: the C API has no ranged
 * read, and events files are read once, start to end.
 */
async function tfSource(path: string): Promise<RecordSource> {
  const st = io.stat(path);
  if (st?.isDirectory)
    return { stat: async () => ({ isDirectory: () => true }), read: async () => ({ bytesRead: 0 }), close: async () => {} };
  const bytes = await io.readFile(path);
  let at = 0;
  return {
    stat: async () => ({ isDirectory: () => false }),
    read: async (buf, offset, length) => {
      const n = Math.min(length, bytes.length - at);
      buf.set(bytes.subarray(at, at + n), offset);
      at += n;
      return { bytesRead: n };
    },
    close: async () => {},
  };
}

// File-system failures are TF's errors for the errno (NotFoundError "<path>; No such file or
// directory", PermissionDeniedError, ...), as TF's record reader would report them.

/**
 * The TFRecords of a file, CRC-checked, streamed. Lower level than {@link summaryIterator}; the
 * yielded `data` is a copy the caller may keep.
 *
 * Checked: the masked CRC-32C of each record's 8-byte length and of its data. At the first bad
 * record this throws a DataLossError naming the file and the byte offset where that record starts,
 * after yielding every good record before it (the records Python yields before its DataLossError).
 * A record cut short by the end of the file is a DataLossError too ("truncated record"), as in TF's
 * record reader; an empty file yields nothing.
 */
export async function* tfRecordIterator(path: string, opts: SummaryIteratorOptions = {}): AsyncGenerator<RawRecord> {
  if (typeof path !== 'string' || path === '') throw invalidArgument('path', 'an events file path string', path);
  checkPath(path, 'path');
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  checkOptionNames(opts, ITERATOR_OPTION_NAMES, 'summaryIterator');
  const chunkSize = opts.chunkSize ?? 1 << 20;
  if (!Number.isInteger(chunkSize) || chunkSize < 16) throw invalidArgument('chunkSize', 'an integer ≥ 16', opts.chunkSize);
  let fh: RecordSource;
  try {
    fh = io.usesTfFilesystem(path, 'path') ? await tfSource(path) : await open(path, 'r');
  } catch (e) {
    throw ioError(e, path);
  }
  try {
    // open(2) of a directory succeeds for reading; its first read would fail with a bare EISDIR.
    if ((await fh.stat()).isDirectory()) throw new FailedPreconditionError(`${path}; Is a directory`);
    let buf = Buffer.alloc(chunkSize);
    let start = 0; // first unconsumed byte in buf
    let end = 0; // end of valid bytes in buf
    let fileOffset = 0; // file offset of buf[start]
    let eof = false;

    // Makes at least `need` bytes available from `start`; false at end of file with fewer.
    const fill = async (need: number): Promise<boolean> => {
      while (end - start < need && !eof) {
        if (start > 0 && (buf.length - end < chunkSize || need > buf.length - start)) {
          buf.copy(buf, 0, start, end);
          end -= start;
          start = 0;
        }
        if (need > buf.length) {
          const bigger = Buffer.alloc(Math.max(need, buf.length * 2));
          buf.copy(bigger, 0, 0, end);
          buf = bigger;
        }
        let bytesRead: number;
        try {
          ({ bytesRead } = await fh.read(buf, end, buf.length - end, null));
        } catch (e) {
          throw ioError(e, path);
        }
        if (bytesRead === 0) eof = true;
        end += bytesRead;
      }
      return end - start >= need;
    };

    for (;;) {
      const recordOffset = fileOffset;
      if (!(await fill(12))) {
        if (end - start === 0) return; // clean end of file
        throw new DataLossError(
          `${path}: truncated record at ${recordOffset}: the file ends ${end - start} bytes into the record's 12-byte header`,
        );
      }
      const lenLo = buf.readUInt32LE(start);
      const lenHi = buf.readUInt32LE(start + 4);
      const storedLenCrc = buf.readUInt32LE(start + 8);
      const lenCrc = maskedCrc32c(buf, start, start + 8);
      if (lenCrc !== storedLenCrc) {
        throw new DataLossError(
          `${path}: corrupted record at ${recordOffset}: the length field's CRC does not match ` +
            `(stored 0x${storedLenCrc.toString(16).padStart(8, '0')}, computed 0x${lenCrc.toString(16).padStart(8, '0')})`,
        );
      }
      const length = lenHi * 0x100000000 + lenLo;
      if (length > Number.MAX_SAFE_INTEGER - 16 || lenHi >= 0x200000) {
        throw new DataLossError(`${path}: corrupted record at ${recordOffset}: implausible record length ${length}`);
      }
      if (!(await fill(12 + length + 4))) {
        throw new DataLossError(
          `${path}: truncated record at ${recordOffset}: the record needs ${12 + length + 4} bytes, the file has ${end - start} left`,
        );
      }
      const dataStart = start + 12;
      const storedDataCrc = buf.readUInt32LE(dataStart + length);
      const dataCrc = maskedCrc32c(buf, dataStart, dataStart + length);
      if (dataCrc !== storedDataCrc) {
        throw new DataLossError(
          `${path}: corrupted record at ${recordOffset}: the data's CRC does not match ` +
            `(stored 0x${storedDataCrc.toString(16).padStart(8, '0')}, computed 0x${dataCrc.toString(16).padStart(8, '0')})`,
        );
      }
      const data = new Uint8Array(length);
      data.set(buf.subarray(dataStart, dataStart + length));
      start += 12 + length + 4;
      fileOffset += 12 + length + 4;
      yield { offset: recordOffset, data };
    }
  } finally {
    await fh.close();
  }
}

/**
 * The Events of an events file, in file order (Python's `summary_iterator`). Throws DataLossError
 * at the first corrupted or truncated record (after yielding the good ones before it), NotFoundError
 * when the file does not exist.
 *
 * ```ts
 * for await (const event of summaryIterator(writer.fileName!)) {
 *   if (event.what.case === 'summary') console.log(event.step, event.what.value.value[0].tag);
 * }
 * ```
 */
export async function* summaryIterator(path: string, opts: SummaryIteratorOptions = {}): AsyncGenerator<Event> {
  for await (const rec of tfRecordIterator(path, opts)) {
    let event: Event;
    try {
      event = fromBinary(EventSchema, rec.data);
    } catch (e) {
      throw new DataLossError(`${path}: the record at ${rec.offset} is not a tensorflow.Event: ${(e as Error).message}`);
    }
    yield event;
  }
}

/** All the Events of a file, as an array (convenience for small files and tests). */
export async function readEvents(path: string): Promise<Event[]> {
  const out: Event[] = [];
  for await (const e of summaryIterator(path)) out.push(e);
  return out;
}
