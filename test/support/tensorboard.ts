/**
 * A real TensorBoard server (live Python) for interop tests: started on a free port over a log
 * folder, ready when the test's own condition holds, queried over its HTTP API, stopped at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { freePort } from './child';
import { pythonExecutable } from './python';

export interface TensorBoard {
  /** GET a JSON path of TensorBoard's HTTP API ('/data/runs', '/data/plugin/scalars/tags', ...). */
  getJSON<T>(path: string): Promise<T>;
  /** GET a path, whatever it returns (the graphs plugin serves text). */
  get(path: string): Promise<{ status: number; body: string }>;
  readonly base: string;
  stop(): Promise<void>;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

async function getJSONFrom<T>(url: string): Promise<T> {
  const r = await get(url);
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status}: ${r.body.slice(0, 500)}`);
  return JSON.parse(r.body) as T;
}

/**
 * Starts TensorBoard on `logdir` and resolves once `ready(tb)` is true (TensorBoard starts in
 * seconds and loads the files in the background); fails with its output if it exits or is not
 * ready within 100 s.
 */
export async function startTensorBoard(logdir: string, ready: (tb: TensorBoard) => Promise<boolean>): Promise<TensorBoard> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    pythonExecutable(),
    [
      '-m',
      'tensorboard.main',
      '--logdir',
      logdir,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--load_fast=false',
      '--reload_interval',
      '1',
    ],
    { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let exited: string | null = null;
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  child.on('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  const tb: TensorBoard = {
    base,
    getJSON: (path) => getJSONFrom(base + path),
    get: (path) => get(base + path),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    },
  };
  const deadline = Date.now() + 100_000;
  for (;;) {
    if (exited) throw new Error(`TensorBoard ${exited} before it was ready:\n${output.slice(-3000)}`);
    try {
      if (await ready(tb)) return tb;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await tb.stop();
      throw new Error(`TensorBoard was not ready in time:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
