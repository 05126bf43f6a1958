/**
 * The package's file operations: a path with a scheme (`ram://`, `gs://`, ...) goes through TF's
 * filesystem layer, as in Python's MonitoredTrainingSession; a local path keeps Node's fs (faster).
 * A scheme TF does not know is an {@link UnsupportedFileSystemError} before anything is created.
 *
 * @internal
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { NotFoundError, TFError } from './errors';
import { errnoOf } from './io-errors';
import { native } from '../native';
import { joinPath, recursivelyCreateDir, usesTfFilesystem } from './tf-filesystem';

export { usesTfFilesystem };
export { UnsupportedFileSystemError } from './tf-filesystem';

/**
 * A missing file or directory, from Node's fs or from TF. (Local failures are Node's errors, which
 * callers map with `ioError`; failures through TF are TF's typed errors.)
 */
export function isNotFound(e: unknown): boolean {
  const code = errnoOf(e);
  return code === 'ENOENT' || code === 'ENOTDIR' || e instanceof NotFoundError;
}

// TF's ram:// filesystem reports a missing file with an empty message: name the path.
function named<T>(p: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TFError && !e.message) e.message = `${p}; No such file or directory`;
    throw e;
  }
}

async function namedAsync<T>(p: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof TFError && !e.message) e.message = `${p}; No such file or directory`;
    throw e;
  }
}

export async function readFile(p: string): Promise<Uint8Array> {
  if (!usesTfFilesystem(p)) return fsp.readFile(p);
  return namedAsync(p, () => native().readFileAsync(p));
}

export function readFileSync(p: string): Uint8Array {
  if (!usesTfFilesystem(p)) return fs.readFileSync(p);
  return named(p, () => native().readFile(p));
}

const utf8 = new TextDecoder();

export async function readText(p: string): Promise<string> {
  return utf8.decode(await readFile(p));
}

export function readTextSync(p: string): string {
  return utf8.decode(readFileSync(p));
}

function toBytes(contents: string | Uint8Array): Uint8Array {
  return typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
}

/** Creates or truncates `p` and writes `contents` (through TF: a WritableFile, closed). */
function writeThroughTf(p: string, contents: string | Uint8Array): void {
  const NativeWritableFile = native().NativeWritableFile;
  const file = new NativeWritableFile(p);
  try {
    file.append(toBytes(contents));
  } finally {
    file.closeSync();
  }
}

export async function writeFile(p: string, contents: string | Uint8Array): Promise<void> {
  if (!usesTfFilesystem(p)) return fsp.writeFile(p, contents);
  writeThroughTf(p, contents);
}

export function writeFileSync(p: string, contents: string | Uint8Array): void {
  if (!usesTfFilesystem(p)) return fs.writeFileSync(p, contents);
  writeThroughTf(p, contents);
}

export async function rename(from: string, to: string): Promise<void> {
  if (!usesTfFilesystem(to)) return fsp.rename(from, to);
  return namedAsync(from, () => native().renameFileAsync(from, to));
}

export function renameSync(from: string, to: string): void {
  if (!usesTfFilesystem(to)) return fs.renameSync(from, to);
  named(from, () => native().renameFile(from, to));
}

/**
 * Whether a rename onto `p` replaces the target atomically. Python's atomic writes ask TF
 * (`has_atomic_move`) and write the file in place when not: a temp file + copy (what a rename is
 * on such stores, e.g. gs://) would leave a temp file behind on a kill and gain nothing.
 */
export function hasAtomicMove(p: string): boolean {
  if (!usesTfFilesystem(p)) return true;
  return native().hasAtomicMove(p);
}

export async function unlink(p: string): Promise<void> {
  if (!usesTfFilesystem(p)) return fsp.unlink(p);
  named(p, () => native().deleteFile(p));
}

export function unlinkSync(p: string): void {
  if (!usesTfFilesystem(p)) return fs.unlinkSync(p);
  named(p, () => native().deleteFile(p));
}

/** Removes a file or a directory tree; a missing path is fine. */
export async function rmRecursive(p: string): Promise<void> {
  if (!usesTfFilesystem(p)) return fsp.rm(p, { recursive: true, force: true });
  const st = stat(p);
  if (!st) return;
  if (!st.isDirectory) return ignoreNotFound(() => native().deleteFile(p));
  // Some filesystems (ram://) have no directory entries, so TF's DeleteRecursively cannot find
  // one to start from: delete what is below, then the directory where there is one.
  for (const name of native().getChildren(p)) await rmRecursive(joinPath(p, name));
  ignoreNotFound(() => native().deleteDir(p));
}

function ignoreNotFound(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export interface Entry {
  name: string;
  isDirectory: boolean;
}

export async function readdir(dir: string): Promise<string[]> {
  if (!usesTfFilesystem(dir)) return fsp.readdir(dir || '.');
  return named(dir, () => native().getChildren(dir));
}

export function readdirSync(dir: string): string[] {
  if (!usesTfFilesystem(dir)) return fs.readdirSync(dir || '.');
  return named(dir, () => native().getChildren(dir));
}

/** The directory's entries with their kinds (only files and directories are reported). */
export async function readdirEntries(dir: string): Promise<Entry[]> {
  if (!usesTfFilesystem(dir)) {
    return (await fsp.readdir(dir || '.', { withFileTypes: true }))
      .filter((e) => e.isFile() || e.isDirectory())
      .map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
  }
  const out: Entry[] = [];
  for (const name of named(dir, () => native().getChildren(dir))) {
    const st = stat(joinPath(dir, name));
    if (st) out.push({ name, isDirectory: st.isDirectory });
  }
  return out;
}

export interface Stat {
  isDirectory: boolean;
  length: number;
  mtimeNs: bigint;
}

/** null when the path is not there (TF's FileStat, or Node's stat). */
export function stat(p: string): Stat | null {
  if (!usesTfFilesystem(p)) {
    try {
      const st = fs.statSync(p, { bigint: true });
      return { isDirectory: st.isDirectory(), length: Number(st.size), mtimeNs: st.mtimeNs };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }
  const st = native().fileStat(p);
  return st && { isDirectory: st.isDirectory, length: st.length, mtimeNs: BigInt(Math.round(st.mtimeNs)) };
}

export function existsSync(p: string): boolean {
  if (!usesTfFilesystem(p)) return fs.existsSync(p);
  return stat(p) !== null;
}

export async function exists(p: string): Promise<boolean> {
  if (!usesTfFilesystem(p)) {
    try {
      await fsp.access(p);
      return true;
    } catch {
      return false;
    }
  }
  return stat(p) !== null;
}

/** `mkdir -p`. */
export async function mkdirp(dir: string): Promise<void> {
  if (!usesTfFilesystem(dir)) {
    await fsp.mkdir(dir, { recursive: true });
    return;
  }
  recursivelyCreateDir(dir);
}

export function mkdirpSync(dir: string): void {
  if (!usesTfFilesystem(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    return;
  }
  recursivelyCreateDir(dir);
}

/** `<filename>.tmp<uuid hex>`: the temp name of Python's atomic writes (debris.ts knows it). */
export function tempName(filename: string): string {
  return `${filename}.tmp${randomUUID().replace(/-/g, '')}`;
}

/** Maps a failed write to the error to throw, given the path that failed. */
export type WriteErrorMap = (e: unknown, path: string) => unknown;
const asIs: WriteErrorMap = (e) => e;

/**
 * Writes `contents` to `<file>.tmp<uuid hex>`, then renames it over `file`, as Python's
 * `file_io.atomic_write_string_to_file`: a reader sees the old file or the new one, never a part.
 * On failure the temp file is removed and `mapError(e, path)` is thrown, `path` being the temp file
 * when writing it failed and `file` otherwise. Where TF says renames are not atomic (object stores
 * such as gs://: a rename is a copy and a delete), the file is written in place, as Python does.
 */
export async function atomicWrite(file: string, contents: string | Uint8Array, mapError: WriteErrorMap = asIs): Promise<void> {
  if (!hasAtomicMove(file)) {
    try {
      return await writeFile(file, contents);
    } catch (e) {
      throw mapError(e, file);
    }
  }
  const temp = tempName(file);
  let failed = temp;
  try {
    await writeFile(temp, contents);
    failed = file;
    await rename(temp, file);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw mapError(e, failed);
  }
}

/** Synchronous {@link atomicWrite}. */
export function atomicWriteSync(file: string, contents: string | Uint8Array, mapError: WriteErrorMap = asIs): void {
  if (!hasAtomicMove(file)) {
    try {
      return writeFileSync(file, contents);
    } catch (e) {
      throw mapError(e, file);
    }
  }
  const temp = tempName(file);
  let failed = temp;
  try {
    writeFileSync(temp, contents);
    failed = file;
    renameSync(temp, file);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      /* not created, or already gone */
    }
    throw mapError(e, failed);
  }
}
