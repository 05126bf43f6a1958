/**
 * Python TF beside the Node rows: drives `bench/tf1_bench.py serve` (one process, one TF import,
 * JSON lines), so a benchmark can build its models with Python and interleave Python's timed rows
 * with its own. The child gets this process's environment unchanged (TF_ENABLE_ONEDNN_OPTS and
 * friends as the Node side has them) and the session config as the same serialized bytes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { BENCH_ROOT } from './options';

export class PyServer {
  readonly version: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams, lines: AsyncIterator<string>, version: string) {
    this.child = child;
    this.lines = lines;
    this.version = version;
  }

  /** Starts the server; a string says why Python TF is unavailable (the rows then print it). */
  static async start(): Promise<PyServer | string> {
    const python = process.env.PYTHON || 'python3';
    const child = spawn(python, [path.join(BENCH_ROOT, 'tf1_bench.py'), 'serve'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    const spawnError = new Promise<string>((resolve) => child.once('error', (e) => resolve(e.message)));
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await Promise.race([lines.next().then((r) => (r.done ? null : r.value)), spawnError.then(() => null)]);
    let hello: { ready?: boolean; version?: string } | null = null;
    try {
      hello = first ? JSON.parse(first) : null;
    } catch {
      /* not ready */
    }
    if (!hello?.ready) {
      child.kill();
      const why = stderr.trim().split('\n').slice(-1)[0] || (await Promise.race([spawnError, Promise.resolve('no answer')]));
      console.error(`[bench] Python TF not available: ${why}`);
      return 'no Python TF';
    }
    const server = new PyServer(child, lines, hello.version ?? '?');
    server.stderr = stderr;
    child.stderr.on('data', (d: string) => {
      server.stderr += d;
    });
    return server;
  }

  /** One command; rejects with Python's error. */
  async call<T = Record<string, unknown>>(req: Record<string, unknown>): Promise<T & { ok: true }> {
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error(`bench: tf1_bench.py exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const res = JSON.parse(r.value) as { ok: boolean; error?: string };
    if (!res.ok) throw new Error(`bench: tf1_bench.py ${String(req.op)}: ${res.error}`);
    return res as T & { ok: true };
  }

  /** µs per step of `iters` runs of what `feeds` set up for `id`. */
  async time(id: string, iters: number): Promise<number> {
    return (await this.call<{ us: number }>({ op: 'time', id, iters })).us;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}
