import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Runs a TypeScript file in a fresh Node process (through tsx), synchronously. */
export function runTs(
  file: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): SpawnSyncReturns<string> {
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

// Ports handed out in this process: the OS may give a just-closed port 0 again, and a test that
// asks for three ports in a row (a ps/worker cluster) then got the same one twice ("Could not
// start gRPC server" once the first task had bound it).
const given = new Set<number>();

/** A TCP port free on 127.0.0.1 right now, and not handed out before in this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
      srv.on('error', reject);
    });
    if (!given.has(port)) {
      given.add(port);
      return port;
    }
  }
}
