/**
 * Running Python TensorFlow from tests (interop checks: Python restores our checkpoints, reads our
 * event files and graphs; we read Python's).
 *
 * Interop tests are not skipped when Python TF is missing: CI installs it, so a missing Python is a
 * failure. Call {@link requirePythonTF} in `beforeAll` (it throws a clear error) rather than
 * `it.skipIf(!pythonTF().available)`.
 *
 * Scripts run as `python3 <tmpfile> ...args` with {@link PY_PREAMBLE} prepended (graph mode,
 * `tf`, `tf1`, `np`, and the helpers `emit(obj)` and `raw(array)`). `TF_CPP_MIN_LOG_LEVEL=2` and
 * `TF_ENABLE_ONEDNN_OPTS=0` are set unless the caller's environment says otherwise, so Python
 * computes with the same kernels as the TS side (see vitest.config.mts).
 *
 * The interpreter is `$PYTHON` when set, else `python3`. Importing TF costs seconds and ~300 MB:
 * do many checks in one script rather than one script per check.
 *
 * @example
 *   beforeAll(() => requirePythonTF());
 *   const r = runPythonJSON<{ w: RawTensor }>(`
 *   reader = tf.train.load_checkpoint(sys.argv[1])
 *   emit({'w': raw(reader.get_tensor('w'))})
 *   `, { args: [prefix] });
 */
import { ARRAY_TYPES } from '../../lib/core/dtypes';
import type { NumericArray } from '../fixtures/fixtures';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Lines put before every script unless `preamble: false` (or another string) is given. */
export const PY_PREAMBLE = `\
import os, sys, json, base64
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
_level = tf.get_logger().level
tf.get_logger().setLevel('ERROR')  # disable_v2_behavior's deprecation notice is noise on stderr
tf1.disable_v2_behavior()
tf.get_logger().setLevel(_level)

def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, bytes):
        return base64.b64encode(o).decode('ascii')
    raise TypeError('not JSON serializable: %r' % (type(o),))

def emit(obj):
    """Prints obj as the last stdout line; runPythonJSON parses that line."""
    sys.stdout.write('\\n' + json.dumps(obj, default=_json_default, allow_nan=True) + '\\n')
    sys.stdout.flush()

def raw(a):
    """{dtype, shape, base64}: the exact row-major little-endian bytes (RawTensor in TS)."""
    a = np.asarray(a)
    if a.dtype.kind in ('O', 'S', 'U'):
        flat = [v if isinstance(v, bytes) else str(v).encode('utf-8') for v in a.reshape(-1).tolist()]
        return {'dtype': 'string', 'shape': list(a.shape),
                'base64': [base64.b64encode(v).decode('ascii') for v in flat]}
    le = np.ascontiguousarray(a.astype(a.dtype.newbyteorder('<'), copy=False))
    return {'dtype': a.dtype.name, 'shape': list(a.shape), 'base64': base64.b64encode(le.tobytes()).decode('ascii')}
# ---- end of preamble ----
`;

/** Number of lines of {@link PY_PREAMBLE}, to map traceback line numbers back to the test's code. */
export const PY_PREAMBLE_LINES = PY_PREAMBLE.split('\n').length - 1;

/** What Python's `raw(a)` emits. Strings carry one base64 entry per element. */
export interface RawTensor {
  dtype: string;
  shape: number[];
  base64: string | string[];
}

export interface PythonTFStatus {
  available: boolean;
  /** Why it is not available (missing interpreter, import error, timeout), with stderr's tail. */
  reason?: string;
  /** `tf.__version__`. */
  version?: string;
  /** The interpreter used. */
  python: string;
  /** The version pinned in scripts/libtensorflow.json. */
  pinnedVersion?: string;
}

export interface RunPythonOptions {
  cwd?: string;
  /** Become `sys.argv[1:]`. */
  args?: string[];
  /** Written to stdin. */
  input?: string;
  /** Default 180 000 (TF import alone takes seconds on a busy 2-core machine). */
  timeoutMs?: number;
  /** Added to the environment. */
  env?: Record<string, string | undefined>;
  /** `false`: run the code as is; a string: use it instead of {@link PY_PREAMBLE}. */
  preamble?: false | string;
}

export interface PythonResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when killed (timeout) or not started. */
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Spawn failure (e.g. ENOENT), if any. */
  error?: Error;
}

/** Thrown by the JSON runners and {@link requirePythonTF}; carries the script and its output. */
export class PythonError extends Error {
  readonly result?: PythonResult;
  constructor(message: string, result?: PythonResult) {
    super(message);
    this.name = 'PythonError';
    this.result = result;
  }
}

const DEFAULT_TIMEOUT_MS = 180_000;
const REPO_ROOT = resolve(__dirname, '..', '..');

/** The interpreter: `$PYTHON` or `python3`. */
export function pythonExecutable(): string {
  return process.env.PYTHON || 'python3';
}

function childEnv(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  env.TF_ENABLE_ONEDNN_OPTS ??= '0';
  env.PYTHONUNBUFFERED = '1';
  env.PYTHONDONTWRITEBYTECODE = '1';
  env.PYTHONHASHSEED ??= '0';
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function pinnedVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'scripts', 'libtensorflow.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function tail(text: string, lines = 25): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

let cached: PythonTFStatus | undefined;

/** Whether `python3 -c "import tensorflow"` works. Checked once per process. */
export function pythonTF(): PythonTFStatus {
  if (cached) return cached;
  const python = pythonExecutable();
  const res = spawnSync(python, ['-c', 'import tensorflow as tf\nprint("TF_VERSION=" + tf.__version__)'], {
    env: childEnv(),
    encoding: 'utf8',
    timeout: DEFAULT_TIMEOUT_MS,
    maxBuffer: 16 << 20,
  });
  const pinned = pinnedVersion();
  const version = /TF_VERSION=(\S+)/.exec(res.stdout ?? '')?.[1];
  if (res.error) {
    const timedOut = (res.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    cached = {
      available: false,
      python,
      pinnedVersion: pinned,
      reason: timedOut
        ? `${python} -c "import tensorflow" did not finish in ${DEFAULT_TIMEOUT_MS} ms`
        : `cannot run ${python}: ${res.error.message}`,
    };
  } else if (res.status !== 0 || !version) {
    cached = {
      available: false,
      python,
      pinnedVersion: pinned,
      reason: `${python} -c "import tensorflow" failed (status ${res.status}${res.signal ? `, ${res.signal}` : ''}):\n${tail(res.stderr ?? '')}`,
    };
  } else {
    cached = { available: true, python, version, pinnedVersion: pinned };
  }
  return cached;
}

/**
 * Throws a {@link PythonError} explaining how to get Python TF when it is not importable. With
 * `exactVersion`, also when its version differs from scripts/libtensorflow.json.
 */
export function requirePythonTF(opts: { exactVersion?: boolean } = {}): PythonTFStatus & { version: string } {
  const st = pythonTF();
  const pin = st.pinnedVersion ?? '<pinned version>';
  if (!st.available || !st.version) {
    throw new PythonError(
      `Python TensorFlow is required by the interop tests but is not available: ${st.reason}\n` +
        `Install it with \`pip install tensorflow-cpu==${pin}\`, or set PYTHON to an interpreter that has it.`,
    );
  }
  if (opts.exactVersion && st.pinnedVersion && st.version !== st.pinnedVersion) {
    throw new PythonError(
      `This test needs Python TensorFlow ${st.pinnedVersion} (scripts/libtensorflow.json), found ${st.version} in ${st.python}.`,
    );
  }
  return st as PythonTFStatus & { version: string };
}

function prepare(code: string, opts: RunPythonOptions): { dir: string; file: string } {
  const preamble = opts.preamble === false ? '' : (opts.preamble ?? PY_PREAMBLE);
  const dir = mkdtempSync(join(tmpdir(), 'tfm-py-'));
  const file = join(dir, 'script.py');
  writeFileSync(file, `${preamble + dedent(code)}\n`);
  return { dir, file };
}

/** Removes the common indentation, so scripts can be written indented inside template literals. */
export function dedent(code: string): string {
  const lines = code.replace(/\t/g, '    ').split('\n');
  while (lines.length && lines[0].trim() === '') lines.shift();
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

/** Runs a script synchronously. Never throws for a failing script: look at `status`. */
export function runPython(code: string, opts: RunPythonOptions = {}): PythonResult {
  const { dir, file } = prepare(code, opts);
  try {
    const res = spawnSync(pythonExecutable(), [file, ...(opts.args ?? [])], {
      cwd: opts.cwd,
      env: childEnv(opts.env),
      input: opts.input,
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxBuffer: 256 << 20,
      killSignal: 'SIGKILL',
    });
    const timedOut = (res.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    return {
      stdout: res.stdout ?? '',
      stderr: res.stderr ?? '',
      status: res.status,
      signal: res.signal,
      timedOut,
      error: timedOut ? undefined : res.error,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Like {@link runPython} without blocking the event loop (needed when the test process serves). */
export function runPythonAsync(code: string, opts: RunPythonOptions = {}): Promise<PythonResult> {
  const { dir, file } = prepare(code, opts);
  return new Promise<PythonResult>((resolvePromise) => {
    const child = spawn(pythonExecutable(), [file, ...(opts.args ?? [])], {
      cwd: opts.cwd,
      env: childEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: Error | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (e) => (spawnError = e));
    child.stdin.on('error', () => {}); // the script may exit without reading its input
    child.stdin.end(opts.input ?? '');
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolvePromise({ stdout, stderr, status, signal, timedOut, error: spawnError });
    });
  });
}

function parseLastLine<T>(res: PythonResult, code: string): T {
  const describe = (what: string) =>
    `Python script ${what}\n--- script (after the ${PY_PREAMBLE_LINES}-line preamble) ---\n${tail(dedent(code), 40)}\n` +
    `--- stderr (tail) ---\n${tail(res.stderr) || '(empty)'}\n--- stdout (tail) ---\n${tail(res.stdout, 10) || '(empty)'}`;
  if (res.error) throw new PythonError(describe(`could not start: ${res.error.message}`), res);
  if (res.timedOut) throw new PythonError(describe('timed out'), res);
  if (res.status !== 0) {
    throw new PythonError(describe(`failed with status ${res.status}${res.signal ? ` (${res.signal})` : ''}`), res);
  }
  const lines = res.stdout.split('\n').filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) throw new PythonError(describe('printed nothing (use emit(obj))'), res);
  try {
    return JSON.parse(last) as T;
  } catch (e) {
    throw new PythonError(describe(`did not end with a JSON line (${(e as Error).message})`), res);
  }
}

/**
 * Runs a script and parses the last non-empty stdout line as JSON (write it with `emit(obj)`).
 * Throws a {@link PythonError} with the script and stderr when the script fails.
 */
export function runPythonJSON<T = unknown>(code: string, opts: RunPythonOptions = {}): T {
  return parseLastLine<T>(runPython(code, opts), code);
}

/** Async {@link runPythonJSON}. */
export async function runPythonJSONAsync<T = unknown>(code: string, opts: RunPythonOptions = {}): Promise<T> {
  return parseLastLine<T>(await runPythonAsync(code, opts), code);
}

// The project's own dtype → TypedArray table.
const DTYPE_ARRAYS = ARRAY_TYPES as Record<string, { new (buf: ArrayBuffer): ArrayLike<number | bigint> }>;

/** Decodes Python's `raw(a)` into a TypedArray (strings: Buffers). Assumes a little-endian host. */
export function decodeRaw(t: RawTensor): {
  dtype: string;
  shape: number[];
  data: NumericArray | Buffer[];
} {
  if (t.dtype === 'string') {
    return { dtype: t.dtype, shape: t.shape, data: (t.base64 as string[]).map((s) => Buffer.from(s, 'base64')) };
  }
  const Ctor = DTYPE_ARRAYS[t.dtype];
  if (!Ctor) throw new Error(`decodeRaw: unsupported dtype ${t.dtype}`);
  const bytes = Buffer.from(t.base64 as string, 'base64');
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { dtype: t.dtype, shape: t.shape, data: new Ctor(ab) as never };
}
