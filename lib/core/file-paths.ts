/**
 * File-system helpers for checkpoints, with the semantics of the Python code they replace:
 * `os.path` (`py*`), TF's `get_matching_files` and `atomic_write_string_to_file`, and errors as
 * TF's own file system raises them (`ioError`). Paths with a scheme (`ram://`, `gs://`) go through
 * TF's filesystem (lib/core/file-io.ts).
 */
import nodePath from 'node:path';
import * as io from './file-io';

// ---------------------------------------------------------------------------------------------
// os.path: like Python's (no normalisation in `join`, `dirname('model.ckpt') === ''`), because the
// state file stores paths exactly as Python computes them.

export function pyIsAbs(p: string): boolean {
  return p.startsWith('/');
}

/** `os.path.join(a, b)`: b when absolute, no normalisation. */
export function pyJoin(a: string, b: string): string {
  if (pyIsAbs(b)) return b;
  if (a === '' || a.endsWith('/')) return a + b;
  return `${a}/${b}`;
}

/** `os.path.dirname`: '' for a bare name, trailing slashes of the head removed. */
export function pyDirname(p: string): string {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  if (head && !/^\/+$/.test(head)) head = head.replace(/\/+$/, '');
  return head;
}

/** `os.path.basename`. */
export function pyBasename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** `os.path.split(p)[0]` is non-empty exactly when p has a '/'. */
export function hasPathComponents(p: string): boolean {
  return p.includes('/');
}

/** `os.path.relpath(p, start)` (both made absolute against the working directory first). */
export function pyRelpath(p: string, start: string): string {
  return nodePath.relative(nodePath.resolve(start || '.'), nodePath.resolve(p)) || '.';
}

// ---------------------------------------------------------------------------------------------
// Errors (lib/core/io-errors.ts; re-exported for the saver's modules)

import { errnoOf, ioError } from './io-errors';

export { errnoOf, ioError };

// ---------------------------------------------------------------------------------------------
// Glob (TF's GetMatchingPaths)

const GLOB_CHARS = /[*?[\\]/;

export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

function componentRegex(component: string): RegExp {
  let re = '';
  for (let i = 0; i < component.length; i++) {
    const c = component[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < component.length) re += escapeRe(component[++i]);
    else if (c === '[') {
      const end = component.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = component.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

interface GlobPlan {
  base: string;
  parts: string[];
}

function plan(pattern: string): GlobPlan {
  // `scheme://host` is the base; wildcards are matched in the path after it.
  const uri = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*)(.*)$/.exec(pattern);
  if (uri) return { base: uri[1], parts: uri[2].split('/').filter((p) => p !== '') };
  const abs = pyIsAbs(pattern);
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  if (abs) parts.shift();
  return { base: abs ? '/' : '', parts };
}

function joinSeg(dir: string, seg: string): string {
  return dir === '' ? seg : dir === '/' ? `/${seg}` : `${dir}/${seg}`;
}

/**
 * The glob walk, written once for both forms: it yields the file-system questions it needs
 * answered (does this path exist, what is in this folder) and a sync or an async driver answers them.
 */
type GlobQuestion = { exists: string } | { readdir: string };

function* globWalk(pattern: string): Generator<GlobQuestion, string[], boolean | string[]> {
  if (!isGlob(pattern)) return (yield { exists: pattern }) ? [pattern] : [];
  const { base, parts } = plan(pattern);
  let current = [base];
  for (let k = 0; k < parts.length; k++) {
    const seg = parts[k];
    const next: string[] = [];
    for (const dir of current) {
      if (!isGlob(seg)) {
        const p = joinSeg(dir, seg);
        if (k < parts.length - 1 || (yield { exists: p })) next.push(p);
        continue;
      }
      let names: string[];
      try {
        names = (yield { readdir: dir }) as string[];
      } catch (e) {
        if (e instanceof io.UnsupportedFileSystemError) throw e;
        continue;
      }
      const re = componentRegex(seg);
      for (const n of names) if (re.test(n)) next.push(joinSeg(dir, n));
    }
    current = next;
  }
  return current.sort();
}

/**
 * Paths matching a glob pattern, sorted; the pattern itself when it has no wildcard and exists.
 * TF's `get_matching_files`: `*`, `?` and `[...]`, in any path component.
 */
export function matchingFilesSync(pattern: string): string[] {
  const walk = globWalk(pattern);
  let step = walk.next();
  while (!step.done) {
    const q = step.value;
    let answer: boolean | string[];
    try {
      answer = 'exists' in q ? io.existsSync(q.exists) : io.readdirSync(q.readdir);
    } catch (e) {
      step = walk.throw(e);
      continue;
    }
    step = walk.next(answer);
  }
  return step.value;
}

/** Async {@link matchingFilesSync}. */
export async function matchingFiles(pattern: string): Promise<string[]> {
  const walk = globWalk(pattern);
  let step = walk.next();
  while (!step.done) {
    const q = step.value;
    let answer: boolean | string[];
    try {
      answer = 'exists' in q ? await exists(q.exists) : await io.readdir(q.readdir);
    } catch (e) {
      step = walk.throw(e);
      continue;
    }
    step = walk.next(answer);
  }
  return step.value;
}

export const exists = io.exists;

export async function isDirectory(p: string): Promise<boolean> {
  try {
    return io.stat(p || '.')?.isDirectory ?? false;
  } catch (e) {
    if (e instanceof io.UnsupportedFileSystemError) throw e;
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Atomic write

/**
 * {@link io.atomicWrite} (a temp file and a rename; in place where TF has no atomic move) with a
 * TF-typed error naming the file that failed: the temp file while it is written, else `filename`.
 */
export function atomicWriteFile(filename: string, contents: string | Uint8Array): Promise<void> {
  return io.atomicWrite(filename, contents, ioError);
}

/** Sync {@link atomicWriteFile}. */
export function atomicWriteFileSync(filename: string, contents: string | Uint8Array): void {
  io.atomicWriteSync(filename, contents, ioError);
}
