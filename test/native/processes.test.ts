import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { freePort, ROOT, runTs, startTs } from '../support/child';
import { execFileSync } from 'node:child_process';

const children = path.join(__dirname, 'children');
const libDir = execFileSync(process.execPath, [path.join(ROOT, 'scripts/setup-libtensorflow.mjs'), '--print-lib'], {
  encoding: 'utf8',
}).trim();

describe('Server', () => {
  const started: Array<ReturnType<typeof startTs>> = [];
  afterAll(() => started.forEach((s) => s.child.kill()));

  it('serves a graph run from another process through grpc://127.0.0.1:<port>', async () => {
    const port = await freePort();
    const srv = startTs(path.join(children, 'server.ts'), [String(port)], /TARGET (\S+)/);
    started.push(srv);
    const [, target] = await srv.line;
    expect(target).toMatch(new RegExp(`^grpc://(localhost|127\\.0\\.0\\.1):${port}$`));

    const g = new Graph();
    const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [2] } });
    const two = g.addOp({ type: 'Const', name: 'two', attrs: { dtype: 'float32', value: [2, 3] } });
    g.addOp({ type: 'Mul', name: 'y', inputs: [x, two] });
    const s = new Session(g, { target: `grpc://127.0.0.1:${port}` });
    const devices = s.listDevices().map((d) => d.name);
    expect(devices.some((d) => d.includes('/job:local/replica:0/task:0/device:CPU:0'))).toBe(true);
    const y = await s.run('y:0', { 'x:0': [4, 5] });
    expect(Array.from(y!.data as Float32Array)).toEqual([8, 15]);
    await s.close();

    srv.child.stdin!.end();
    await new Promise<void>((resolve) => srv.child.on('exit', () => resolve()));
    expect(srv.output().out).toContain('CLOSED');
  });
});

describe('Session#run() concurrency', () => {
  it('does not deadlock with more blocking runs than libuv threads (UV_THREADPOOL_SIZE=2)', () => {
    const r = runTs(path.join(children, 'queue-deadlock.ts'), [], { UV_THREADPOOL_SIZE: '2' });
    expect(r.stdout).not.toContain('DEADLOCK');
    expect(r.stdout).toContain('INFLIGHT 6');
    expect(r.stdout).toContain('GOT 1,2,3,4,5,6');
    // close() cancels a run blocked in TF instead of hanging.
    expect(r.stdout).toContain('STUCK CancelledError');
    expect(r.status).toBe(0);
  });
});

describe('addon in worker threads', () => {
  it('loads and runs in several workers at once, and their teardown closes open sessions', () => {
    const r = execFileSync(process.execPath, [path.join(children, 'worker-load.mjs'), ROOT, libDir], {
      encoding: 'utf8',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
      timeout: 120_000,
    });
    expect(r).toContain('RESULTS [1,4,9]');
  });
});
