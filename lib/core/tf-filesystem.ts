/**
 * Paths through TensorFlow's own filesystem layer (its `Env`): local paths and every scheme TF has
 * a filesystem for (`ram://`, and `gs://`, `hdfs://`, ... where the loaded libtensorflow has them),
 * without opening a TF session. Opening a session is not harmless: the first one of a process
 * sizes TF's process-wide thread pools (see lib/summary/event-file.ts).
 *
 * @internal
 */
import { AlreadyExistsError, FailedPreconditionError, UnimplementedError } from './errors';
import { native } from '../native';

const URI = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*)(.*)$/;

/** `scheme://host` (or '' for a local path) and the path after it, as TF's ParseURI splits them. */
function splitUri(p: string): { root: string; rest: string } {
  const m = URI.exec(p);
  return m ? { root: m[1], rest: m[2] } : { root: '', rest: p };
}

/** The parent of a path in TF's sense: '' above a relative name, '/' above a top-level one. */
function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : i === 0 ? '/' : p.slice(0, i);
}

/** `dir/name`, without doubling a trailing slash (TF's io::JoinPath for two parts). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** Whether the path exists; errors other than "not found" count as "not there" (as TF's FileExists). */
function stat(p: string): { isDirectory: boolean } | null {
  try {
    return native().fileStat(p);
  } catch {
    return null;
  }
}

/**
 * Creates `dir` and its missing parents, as TF's `Env::RecursivelyCreateDir` does: walk up to
 * the first path that exists (it must be a directory: else FailedPreconditionError "<path> is not
 * a directory"), then create each level below it; a level another process created meanwhile is
 * fine. TF's typed errors (PermissionDeniedError, ...) are thrown as they are.
 */
export function recursivelyCreateDir(dir: string): void {
  const { root, rest } = splitUri(dir);
  const missing: string[] = [];
  let at = rest.length > 1 ? rest.replace(/\/+$/, '') : rest;
  while (at !== '') {
    const s = stat(root + at);
    if (s) {
      if (!s.isDirectory) throw new FailedPreconditionError(`${root + at} is not a directory`);
      break;
    }
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const level of missing.reverse()) {
    try {
      native().createDir(root + level);
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Schemes

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/** The scheme of `scheme://...` paths; null for a local path (which keeps Node's fs). */
export function schemeOf(p: string): string | null {
  const m = SCHEME.exec(p);
  return m ? m[1] : null;
}

/**
 * A path whose scheme no filesystem of the loaded libtensorflow handles. Thrown at the first use
 * of the path, before anything is written anywhere (Node's fs would otherwise take
 * `nosuch://x` for the local directory `nosuch:/x`).
 */
export class UnsupportedFileSystemError extends UnimplementedError {
  constructor(
    readonly parameter: string,
    readonly path: string,
    readonly scheme: string,
    readonly supported: readonly string[],
  ) {
    super(
      `${parameter}: '${path}' has the scheme '${scheme}', for which this libtensorflow has no filesystem; ` +
        `it has ${supported.map((s) => `${s}://`).join(', ')} and local paths (other schemes need TF's filesystem plugins, ` +
        'e.g. tensorflow-io for s3:// and hdfs://, loaded before use).',
    );
    this.name = 'UnsupportedFileSystemError';
  }
}

/** The schemes TF's Env has a filesystem for now (plugins may add some at any time). */
export function registeredSchemes(): string[] {
  return native()
    .fileSystemSchemes()
    .filter((s) => s !== '' && s !== 'file')
    .sort();
}

/**
 * Whether `p` goes through TF (it has a scheme); throws {@link UnsupportedFileSystemError} naming
 * `parameter` when TF has no filesystem for that scheme.
 */
export function usesTfFilesystem(p: string, parameter = 'path'): boolean {
  const scheme = schemeOf(p);
  if (scheme === null) return false;
  const known = native().fileSystemSchemes();
  if (!known.includes(scheme)) throw new UnsupportedFileSystemError(parameter, p, scheme, registeredSchemes());
  return true;
}
