// Inputs that used to crash the process (abort, segfault, V8 fatal error) or hang it, from the
// native-boundary fuzzing report. Each crash case runs in a child process (a crash there must not
// take the test runner down); a child runs a group of cases and prints one JSON line: for each
// case, how it ended (a value, or the error's name, param, code and message).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../lib/core/errors';
import { Graph, Output } from '../../lib/core/graph';
import { Tensor } from '../../lib/core/tensor';
import { ROOT, runTs } from '../support/child';

type Outcome = { ok: true; value: string } | { ok: false; name: string; param?: string; code?: number; message: string };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-crash-inputs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const lib = (p: string) => JSON.stringify(path.join(ROOT, 'lib', p));

// Shared by every child: the probe recorder and the graph of the report (Placeholder x float32
// [-1, 2], y = x * 2, Placeholder u of unknown shape, uid = Identity(u)).
const PRELUDE = `
import { Graph, Output } from ${lib('core/graph')};
import { Session } from ${lib('core/session')};
import { Server } from ${lib('core/server')};
import { Tensor } from ${lib('core/tensor')};
import { native } from ${lib('native')};
const results: Record<string, unknown> = {};
async function probe(label: string, fn: () => unknown): Promise<void> {
  try {
    const r = await fn();
    results[label] = { ok: true, value: r instanceof Tensor ? String(r) : String(JSON.stringify(r) ?? r).slice(0, 200) };
  } catch (e) {
    const err = e as { name?: string; param?: string; code?: number; message?: string };
    results[label] = { ok: false, name: err?.name, param: err?.param, code: err?.code, message: String(err?.message).slice(0, 400) };
  }
}
function simpleGraph(): Graph {
  const g = new Graph();
  g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [-1, 2] } });
  g.addOp({ type: 'Const', name: 'two', attrs: { dtype: 'float32', value: 2 } });
  g.addOp({ type: 'Mul', name: 'y', inputs: ['x:0', 'two:0'] });
  g.addOp({ type: 'Placeholder', name: 'u', attrs: { dtype: 'float32' } });
  g.addOp({ type: 'Identity', name: 'uid', inputs: ['u:0'] });
  return g;
}
void Graph; void Output; void Session; void Server; void Tensor; void native;
`;

const addonPath: string = require('node-gyp-build').path(ROOT);

/** Runs `body` (inside an async function, after PRELUDE) in a fresh process; returns its outcomes. */
function runChild(name: string, body: string): Record<string, Outcome> {
  const file = path.join(tmp, `${name}.ts`);
  fs.writeFileSync(
    file,
    `${PRELUDE}\nasync function main(): Promise<void> {\n${body}\n}\n` +
      'main().then(() => process.stdout.write(JSON.stringify(results) + "\\n"), (e) => { console.error(e); process.exit(3); });\n',
  );
  const r = runTs(file, [], {}, 90_000);
  // Printed without "at ..." frames: vitest reads source maps from the files a message's frames
  // name, and a frame in a .node binary made it fail with an unrelated SyntaxError.
  const frames = (t: string | undefined) =>
    (t ?? '')
      .split('\n')
      .filter((l) => !/^\s+at /.test(l))
      .join('\n');
  const diag = `status=${r.status} signal=${r.signal}\nstdout:\n${frames(r.stdout)}\nstderr:\n${frames(r.stderr).slice(-3000)}`;
  expect(r.signal, diag).toBeNull();
  expect(r.status, diag).toBe(0);
  const line = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  expect(line, diag).toBeDefined();
  return JSON.parse(line!) as Record<string, Outcome>;
}

function failure(results: Record<string, Outcome>, label: string) {
  const r = results[label];
  expect(r, `no outcome for '${label}'`).toBeDefined();
  expect(r.ok, `'${label}' should have thrown, got ${JSON.stringify(r)}`).toBe(false);
  return r as Extract<Outcome, { ok: false }>;
}

/** An ArgumentError whose `param` is `param`, named in the message too. */
function expectArgumentError(results: Record<string, Outcome>, label: string, param: string, message?: RegExp) {
  const r = failure(results, label);
  expect(r.name, label).toBe('ArgumentError');
  expect(r.param, label).toBe(param);
  expect(r.message, label).toContain(param);
  if (message) expect(r.message, label).toMatch(message);
}

/** A typed native error (`name`) whose message names what was wrong (`names`). */
function expectNativeError(results: Record<string, Outcome>, label: string, name: string, names: string | RegExp) {
  const r = failure(results, label);
  expect(r.name, `${label}: ${r.message}`).toBe(name);
  if (typeof names === 'string') expect(r.message, label).toContain(names);
  else expect(r.message, label).toMatch(names);
}

describe('tensor names with an output index >= 2^31 (std::stoi aborted) and C++ exceptions', () => {
  it('are NotFoundErrors naming the tensor; std::bad_alloc becomes a JS Error; the graph stays usable', () => {
    const r = runChild(
      'names',
      `
      const g = simpleGraph();
      await probe('addOp input', () => g.addOp({ type: 'Identity', name: 'i', inputs: ['x:99999999999'] }).name);
      await probe('addOp list input', () => g.addOp({ type: 'AddN', name: 'n', inputs: [['y:0', 'y:99999999999']] }).name);
      await probe('inputMap target', () => g.importGraphDef(simpleGraph().toGraphDef(), { prefix: 'imp', inputMap: { 'x:0': 'x:99999999999' } }));
      await probe('Output(op, 2**40)', () => new Output(g.operation('x'), 2 ** 40).shape);
      await probe('raw outputShape', () => g.native.outputShape('x:99999999999'));
      // atoi() used to wrap 4294967296 to 0: the plan silently fetched y:0.
      await probe('raw prepare', () => new (native().NativeSession)(g.native, '', null).prepare([], ['y:4294967296'], []));
      // A sparse array claiming 2^32-1 ints: reserving room for them throws std::bad_alloc here
      // (34 GB), which must become a JS error (NODE_ADDON_API_CPP_EXCEPTIONS_ALL).
      await probe('raw list(int) huge', () => g.native.addOperation({ type: 'Placeholder', name: 'p3', attrs: [{ name: 'x', kind: 'list(int)', value: new Array(2 ** 32 - 1) }] }));
      await probe('raw prepare huge', () => new (native().NativeSession)(g.native, '', null).prepare(new Array(2 ** 32 - 1), ['y:0'], []));
      await probe('graph usable after', () => [g.hasOperation('p3'), g.addOp({ type: 'Identity', name: 'after', inputs: ['y:0'] }).name]);
    `,
    );
    expectNativeError(r, 'addOp input', 'NotFoundError', "'x:99999999999'");
    expectNativeError(r, 'addOp list input', 'NotFoundError', "'y:99999999999'");
    expectNativeError(r, 'inputMap target', 'NotFoundError', "'x:99999999999'");
    expectArgumentError(r, 'Output(op, 2**40)', 'index');
    expectNativeError(r, 'raw outputShape', 'NotFoundError', "'x:99999999999'");
    expectNativeError(r, 'raw prepare', 'NotFoundError', "'y:4294967296'");
    expect(failure(r, 'raw list(int) huge').message).toMatch(/std::bad_alloc|attr 'x' of operation 'p3': expected a number/);
    expect(failure(r, 'raw prepare huge').message).toMatch(/std::bad_alloc|feeds\[0\] must be a string/);
    expect(r['graph usable after']).toEqual({ ok: true, value: '[false,"after"]' });
  });
});

describe('shapes TF refuses with a CHECK (rank > 254, int64 overflow of the dimensions)', () => {
  it('are typed errors naming the parameter, on every way to TF', () => {
    const r = runChild(
      'shapes',
      `
      const g = simpleGraph();
      const s = new Session(g);
      const rank300 = Array(300).fill(1);
      const over = [2 ** 62, 2 ** 62, 0];
      let deep: unknown = 1;
      for (let i = 0; i < 300; i++) deep = [deep];
      await probe('runSync feed rank300', () => s.runSync('uid:0', { 'u:0': { dtype: 'float32', shape: rank300, data: new Float32Array(1) } }));
      await probe('run feed overflow', () => s.run('uid:0', { 'u:0': { dtype: 'float32', shape: over, data: new Float32Array(0) } }));
      await probe('alloc rank300', () => s.runSync('uid:0', { 'u:0': Tensor.alloc('float32', rank300) }));
      await probe('alloc overflow', () => s.runSync('uid:0', { 'u:0': Tensor.alloc('float32', over) }));
      await probe('nested 300 deep feed', () => s.runSync('uid:0', { 'u:0': deep as never }));
      await probe('Const rank300', () => g.addOp({ type: 'Const', name: 'c1', attrs: { dtype: 'float32', value: { dtype: 'float32', shape: rank300, data: new Float32Array(1) } } }).name);
      await probe('Const overflow', () => g.addOp({ type: 'Const', name: 'c2', attrs: { dtype: 'float32', value: { dtype: 'float32', shape: over, data: new Float32Array(0) } } }).name);
      await probe('Placeholder rank300', () => g.addOp({ type: 'Placeholder', name: 'p1', attrs: { dtype: 'float32', shape: rank300 } }).name);
      await probe('Placeholder overflow', () => g.addOp({ type: 'Placeholder', name: 'p2', attrs: { dtype: 'float32', shape: [2 ** 62, -1, 2 ** 62] } }).name);
      await probe('list(shape) rank300', () => g.addOp({ type: 'FIFOQueueV2', name: 'q1', attrs: { component_types: ['float32'], shapes: [rank300] } }).name);
      await probe('list(shape) overflow', () => g.addOp({ type: 'FIFOQueueV2', name: 'q2', attrs: { component_types: ['float32'], shapes: [[2 ** 62, 2 ** 62]] } }).name);
      // The addon itself, without the TypeScript checks.
      const A = native();
      const raw = new A.NativeSession(g.native, '', null);
      const plan = raw.prepare(['u:0'], ['uid:0'], []);
      await probe('raw feedHandle rank300', () => A.feedHandle(1, rank300, new Float32Array(A.allocAligned(4))));
      await probe('raw feedHandle overflow', () => A.feedHandle(1, over, new Float32Array(A.allocAligned(64))));
      await probe('raw runSync rank300', () => raw.runSync(plan, 1, rank300, new Float32Array(1)));
      await probe('raw run overflow', () => raw.run(plan, 1, over, new Float32Array(0)));
      const op = (name: string, attrs: unknown[]) => g.native.addOperation({ type: 'Placeholder', name, attrs: [{ name: 'dtype', kind: 'type', value: 1 }, ...attrs] as never });
      await probe('raw shape rank300', () => op('r1', [{ name: 'shape', kind: 'shape', value: rank300 }]));
      await probe('raw shape overflow', () => op('r2', [{ name: 'shape', kind: 'shape', value: [2 ** 62, 2 ** 62] }]));
      await probe('raw shape -5', () => op('r3', [{ name: 'shape', kind: 'shape', value: [-5] }]));
      await probe('raw shape sparse huge', () => op('r4', [{ name: 'shape', kind: 'shape', value: new Array(2 ** 32 - 1) }]));
      const queue = (name: string, shapes: unknown) => g.native.addOperation({ type: 'FIFOQueueV2', name, attrs: [{ name: 'component_types', kind: 'list(type)', value: [1] }, { name: 'shapes', kind: 'list(shape)', value: shapes }] as never });
      await probe('raw list(shape) rank300', () => queue('rq1', [rank300]));
      await probe('raw list(shape) overflow', () => queue('rq2', [[2 ** 62, 2 ** 62]]));
      const konst = (name: string, shape: number[], data: Float32Array) => g.native.addOperation({ type: 'Const', name, attrs: [{ name: 'dtype', kind: 'type', value: 1 }, { name: 'value', kind: 'tensor', value: { dtype: 1, shape, data } }] as never });
      await probe('raw tensor attr rank300', () => konst('rc1', rank300, new Float32Array(1)));
      await probe('raw tensor attr overflow', () => konst('rc2', over, new Float32Array(0)));
      // Still valid: unknown dimensions and rank in attrs, and a rank-254 feed.
      await probe('partial shapes', () => [
        g.addOp({ type: 'Placeholder', name: 'ok1', attrs: { dtype: 'float32', shape: [-1, 2, -1] } }).outputs[0].shape,
        g.addOp({ type: 'Placeholder', name: 'ok2', attrs: { dtype: 'float32', shape: null } }).outputs[0].shape,
        g.addOp({ type: 'PaddingFIFOQueueV2', name: 'ok3', attrs: { component_types: ['float32'], shapes: [[-1, 3]] } }).name,
      ]);
      await probe('rank 254 feed', () => s.runSync('uid:0', { 'u:0': Tensor.alloc('float32', Array(254).fill(1)) })!.shape.length);
      await raw.close();
      await s.close();
    `,
    );
    expectArgumentError(r, 'runSync feed rank300', "feeds['u:0'].shape", /254/);
    expectArgumentError(r, 'run feed overflow', "feeds['u:0'].shape", /overflows int64/);
    expectArgumentError(r, 'alloc rank300', 'shape', /254/);
    expectArgumentError(r, 'alloc overflow', 'shape', /overflows int64/);
    expectArgumentError(r, 'nested 300 deep feed', "feeds['u:0']", /254/);
    expectArgumentError(r, 'Const rank300', 'c1.value.shape', /254/);
    expectArgumentError(r, 'Const overflow', 'c2.value.shape', /overflows int64/);
    expectArgumentError(r, 'Placeholder rank300', 'p1.shape', /254/);
    expectArgumentError(r, 'Placeholder overflow', 'p2.shape', /overflows int64/);
    expectArgumentError(r, 'list(shape) rank300', 'q1.shapes[0]', /254/);
    expectArgumentError(r, 'list(shape) overflow', 'q2.shapes[0]', /overflows int64/);
    expectNativeError(r, 'raw feedHandle rank300', 'InvalidArgumentError', /^feedHandle: rank 300 is above 254/);
    expectNativeError(r, 'raw feedHandle overflow', 'InvalidArgumentError', /^feedHandle: .*overflows int64/);
    expectNativeError(r, 'raw runSync rank300', 'InvalidArgumentError', /^feed 0: rank 300/);
    expectNativeError(r, 'raw run overflow', 'InvalidArgumentError', /^feed 0: .*overflows int64/);
    expectNativeError(r, 'raw shape rank300', 'InvalidArgumentError', /^attr 'shape' of operation 'r1': rank 300/);
    expectNativeError(r, 'raw shape overflow', 'InvalidArgumentError', /^attr 'shape' of operation 'r2': .*overflows int64/);
    expectNativeError(r, 'raw shape -5', 'InvalidArgumentError', /^attr 'shape' of operation 'r3': dimension 0 is -5/);
    expectNativeError(r, 'raw shape sparse huge', 'InvalidArgumentError', /^attr 'shape' of operation 'r4': rank 4294967295/);
    expectNativeError(r, 'raw list(shape) rank300', 'InvalidArgumentError', /^attr 'shapes' of operation 'rq1': rank 300/);
    expectNativeError(r, 'raw list(shape) overflow', 'InvalidArgumentError', /^attr 'shapes' of operation 'rq2': .*overflows/);
    expectNativeError(r, 'raw tensor attr rank300', 'InvalidArgumentError', /^attr 'value' of operation 'rc1': rank 300/);
    expectNativeError(r, 'raw tensor attr overflow', 'InvalidArgumentError', /^attr 'value' of operation 'rc2': .*overflows/);
    expect(r['partial shapes']).toEqual({ ok: true, value: '[[-1,2,-1],null,"ok3"]' });
    expect(r['rank 254 feed']).toEqual({ ok: true, value: '254' });
  });
});

describe('self-containing, very deep and huge sparse arrays (endless loop, stack overflow, hang)', () => {
  it('are ArgumentErrors naming the parameter, found before anything proportional to the length', () => {
    const r = runChild(
      'arrays',
      `
      const g = simpleGraph();
      const s = new Session(g);
      const cyclic: unknown[] = [];
      cyclic.push(cyclic);
      const cyclicFeed: unknown[] = [1];
      cyclicFeed[0] = cyclicFeed;
      let deep: unknown = 1;
      for (let i = 0; i < 200000; i++) deep = [deep];
      await probe('cyclic from', () => Tensor.from(cyclic as never));
      await probe('cyclic feed', () => s.runSync('uid:0', { 'u:0': cyclicFeed as never }));
      await probe('200000 deep', () => Tensor.from(deep as never, 'float32', 'deep'));
      await probe('alloc sparse shape', () => Tensor.alloc('float32', new Array(2 ** 32 - 1)));
      await probe('from spec sparse shape', () => Tensor.from({ dtype: 'float32', shape: new Array(2 ** 32 - 1), data: new Float32Array(1) }));
      await probe('from sparse data', () => Tensor.from({ dtype: 'float32', shape: [2 ** 32 - 1], data: new Array(2 ** 32 - 1) as number[] }));
      await probe('from sparse nested', () => Tensor.from(new Array(2 ** 32 - 1) as number[]));
      await probe('Placeholder sparse shape', () => g.addOp({ type: 'Placeholder', name: 'p', attrs: { dtype: 'float32', shape: new Array(2 ** 32 - 1) } }).name);
      await probe('Squeeze sparse list(int)', () => g.addOp({ type: 'Squeeze', name: 'sq', inputs: ['x:0'], attrs: { squeeze_dims: new Array(2 ** 32 - 1) } }).name);
      await probe('sparse inputs', () => g.addOp({ type: 'AddN', name: 'an', inputs: [new Array(2 ** 32 - 1)] }).name);
      await s.close();
    `,
    );
    expectArgumentError(r, 'cyclic from', 'value', /254/);
    expectArgumentError(r, 'cyclic feed', "feeds['u:0']", /254/);
    expectArgumentError(r, '200000 deep', 'deep', /254/);
    expectArgumentError(r, 'alloc sparse shape', 'shape', /254/);
    expectArgumentError(r, 'from spec sparse shape', 'value.shape', /254/);
    expectArgumentError(r, 'from sparse data', 'value.data[0]');
    expectArgumentError(r, 'from sparse nested', 'value[0]', /hole/);
    expectArgumentError(r, 'Placeholder sparse shape', 'p.shape', /254/);
    expectArgumentError(r, 'Squeeze sparse list(int)', 'sq.squeeze_dims[0]');
    expectArgumentError(r, 'sparse inputs', 'inputs[0][0]');
  });
});

describe('closed handles and an addon without libtensorflow (segfaults)', () => {
  it('are FailedPreconditionErrors (closed objects, library not loaded)', () => {
    const r = runChild(
      'lifecycle',
      `
      // First the addon required directly, before anything loads libtensorflow.
      // The binary the package loads (a prebuild in CI, build/Release in development).
      const A = require(${JSON.stringify(addonPath)});
      await probe('unloaded loadedPath', () => A.loadedPath());
      await probe('unloaded feedHandle', () => A.feedHandle(1, [1], new Float32Array(1)));
      await probe('unloaded allocAligned', () => A.allocAligned(4));
      await probe('unloaded tfVersion', () => A.tfVersion());
      await probe('unloaded allOpList', () => A.allOpList());
      await probe('unloaded NativeGraph', () => new A.NativeGraph());
      await probe('unloaded releaseFeedHandle', () => A.releaseFeedHandle({}));
      await probe('unloaded disposeBuffer', () => A.disposeBuffer(new ArrayBuffer(8)));
      // Then objects used after close.
      const g = simpleGraph();
      const s = new Session(g);
      const n = (s as unknown as { nativeSession: ReturnType<typeof native>['NativeSession']['prototype'] }).nativeSession;
      await s.close();
      await probe('prepare after close', () => n.prepare(['x:0'], ['y:0'], []));
      const raw = new (native().NativeSession)(g.native, '', null);
      const plan = raw.prepare(['u:0'], ['uid:0'], []);
      const mem = native().allocAligned(8);
      const handle = native().feedHandle(1, [2], new Float32Array(mem))!;
      native().releaseFeedHandle(handle);
      await probe('released feed handle', () => raw.runSync(plan, handle as never));
      await raw.close();
      await probe('raw prepare after close', () => raw.prepare([], ['y:0'], []));
      await probe('raw runSync after close', () => raw.runSync(plan, 1, [1], new Float32Array(1)));
      await probe('raw run after close', () => raw.run(plan, 1, [1], new Float32Array(1)));
      await probe('raw listDevices after close', () => raw.listDevices());
      await probe('raw state after close', () => [raw.isClosed(), raw.inFlight()]);
      const srv = new Server({ cluster: { local: ['localhost:0'] }, jobName: 'local', start: false });
      const ns = (srv as unknown as { nativeServer: { start(): void; stop(): void; target(): string; join(): Promise<void>; close(): Promise<void> } }).nativeServer;
      const closing = srv.close();
      // Called before the pool thread deletes the server: must be refused, not race with it.
      await probe('server start during close', () => ns.start());
      await probe('server stop during close', () => ns.stop());
      await probe('server join during close', () => ns.join());
      await closing;
      await probe('server target after close', () => ns.target());
      await probe('server close twice', () => ns.close());
    `,
    );
    expect(r['unloaded loadedPath']).toEqual({ ok: true, value: 'null' });
    for (const label of [
      'unloaded feedHandle',
      'unloaded allocAligned',
      'unloaded tfVersion',
      'unloaded allOpList',
      'unloaded NativeGraph',
    ]) {
      const e = failure(r, label);
      expect(e.message, label).toMatch(/libtensorflow is not loaded/);
      expect(e.code, label).toBe(9);
    }
    expect(r['unloaded releaseFeedHandle'].ok).toBe(true);
    expect(r['unloaded disposeBuffer']).toEqual({ ok: true, value: 'false' });
    for (const label of [
      'prepare after close',
      'raw prepare after close',
      'raw runSync after close',
      'raw run after close',
      'raw listDevices after close',
    ]) {
      expectNativeError(r, label, 'FailedPreconditionError', 'Attempted to use a closed Session.');
    }
    expect(r['raw state after close']).toEqual({ ok: true, value: '[true,0]' });
    expectNativeError(r, 'released feed handle', 'TypeError', /^feed 0: not a live feed handle/);
    for (const label of [
      'server start during close',
      'server stop during close',
      'server join during close',
      'server target after close',
    ]) {
      expectNativeError(r, label, 'FailedPreconditionError', 'The server is closed.');
    }
    expect(r['server close twice'].ok).toBe(true);
  });
});

describe('values the TypeScript layer accepted and the addon rejected without naming them', () => {
  const catchError = (fn: () => unknown): ArgumentError => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ArgumentError);
      return e as ArgumentError;
    }
    throw new Error('expected an ArgumentError');
  };
  const graph = () => {
    const g = new Graph();
    g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [-1, 2] } });
    g.addOp({ type: 'Neg', name: 'y', inputs: ['x:0'] });
    return g;
  };

  it('holes in nested arrays and shapes name their position', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the input under test
    expect(catchError(() => Tensor.from([1, , 3] as never)).param).toBe('value[1]');
    expect(catchError(() => Tensor.from(new Array(3) as number[])).param).toBe('value[0]');
    expect(catchError(() => Tensor.from([[1, 2], new Array(2) as number[]], 'int32', 'feed')).param).toBe('feed[1][0]');
    expect(catchError(() => Tensor.alloc('float32', new Array(3))).param).toBe('shape[0]');
    expect(catchError(() => Tensor.from({ dtype: 'float32', shape: [1], data: null as never })).param).toBe('value.data');
    const g = graph();
    expect(catchError(() => g.addOp({ type: 'Placeholder', name: 'p', attrs: { dtype: 'float32', shape: new Array(2) } })).param).toBe(
      'p.shape[0]',
    );
    expect(catchError(() => g.addOp({ type: 'Squeeze', name: 'sq', inputs: ['x:0'], attrs: { squeeze_dims: new Array(3) } })).param).toBe(
      'sq.squeeze_dims[0]',
    );
    expect(catchError(() => g.addOp({ type: 'Placeholder', name: 'p', attrs: { dtype: 'float32', shape: [-2] } })).param).toBe(
      'p.shape[0]',
    );
  });

  it('a complex tensor from an odd number of parts, and an alloc above 1 TiB, name the parameter', () => {
    const e = catchError(() => Tensor.from(new Float32Array(3), 'complex64'));
    expect(e.param).toBe('value');
    expect(e.message).toMatch(/even number of elements for dtype complex64/);
    expect(Tensor.from(new Float32Array(4), 'complex64').shape).toEqual([2]);
    expect(catchError(() => Tensor.alloc('float32', [2 ** 40])).param).toBe('shape');
    const t = Tensor.from([1, 2]);
    t.dispose();
    expect(catchError(() => t.toArray()).message).toMatch(/disposed/);
  });

  it('an Output index out of range, and misshapen addOp/importGraphDef arguments, name the parameter', () => {
    const g = graph();
    const e = catchError(() => new Output(g.operation('y'), 7).dtype);
    expect(e.param).toBe('index');
    expect(e.message).toMatch(/Operation 'y' has 1 output\(s\); index 7 is out of range/);
    expect(catchError(() => new Output(g.operation('y'), -1)).param).toBe('index');
    expect(new Output(g.operation('y'), 0).dtype).toBe('float32');
    expect(catchError(() => g.addOp({ type: 'Neg', name: 'n', inputs: 'y:0' as never })).param).toBe('inputs');
    expect(catchError(() => g.addOp({ type: 'NoOp', name: 'n', controlInputs: 'y' as never })).param).toBe('controlInputs');
    const bytes = graph().toGraphDef();
    expect(catchError(() => g.importGraphDef(bytes, null as never)).param).toBe('opts');
    expect(catchError(() => g.importGraphDef(bytes, { prefix: 'a', controlDependencies: 'y' as never })).param).toBe('controlDependencies');
    expect(catchError(() => g.importGraphDef(bytes, { prefix: 'b', inputMap: { 'x:abc': 'y:0' } })).param).toBe("inputMap['x:abc']");
    expect(catchError(() => g.importGraphDef(bytes, { prefix: 'c', inputMap: { 'x:4294967296': 'y:0' } })).param).toBe(
      "inputMap['x:4294967296']",
    );
    g.importGraphDef(bytes, { prefix: 'd', inputMap: { 'x:0': 'y:0' } });
    expect(g.operation('d/y').inputs[0].name).toBe('y:0');
  });
});
