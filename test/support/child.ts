import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Runs a TypeScript file in a fresh Node process (through tsx), synchronously. */
export function runTs(file: string, args: string[] = [], env: Record<string, string | undefined> = {}, timeoutMs = 120_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/** Starts a TypeScript file in a fresh Node process; resolves with the first stdout line matching `ready`. */
export function startTs(file: string, args: string[], ready: RegExp, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const line = new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(ready);
      if (m) resolve(m);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before ready:\n${out}\n${err}`)));
  });
  return { child, line, output: () => ({ out, err }) };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
