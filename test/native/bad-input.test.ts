import { describe, expect, it } from 'vitest';
import { Graph, Operation } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { Tensor } from '../../lib/core/tensor';
import { ArgumentError, ClosedError, FailedPreconditionError, InvalidArgumentError, NotFoundError, TFError } from '../../lib/core/errors';
import { thrownParam as param } from '../support/errors';

function model() {
  const g = new Graph();
  const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [2] } });
  g.addOp({ type: 'Neg', name: 'y', inputs: [x] });
  return g;
}

describe('bad input gives a typed error naming the problem', () => {
  it('unknown op type', () => {
    const g = new Graph();
    const e = (() => {
      try {
        g.addOp({ type: 'NoSuchOpAnywhere', name: 'n' });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(NotFoundError);
    expect((e as Error).message).toMatch(/Op type 'NoSuchOpAnywhere' \(for operation 'n'\) is not registered/);
    expect(g.hasOperation('n')).toBe(false);
  });

  it('unknown attr name, listing the attrs the op has', () => {
    const g = new Graph();
    expect(() => g.addOp({ type: 'Placeholder', name: 'p', attrs: { dtype: 'float32', colour: 'red' } })).toThrow(
      /Op type 'Placeholder' has no attr named 'colour' \(operation 'p'; its attrs: dtype, shape\)/,
    );
    expect(g.hasOperation('p')).toBe(false);
  });

  it('attr value of the wrong kind names the attr', () => {
    const g = new Graph();
    const e = (() => {
      try {
        g.addOp({ type: 'Placeholder', name: 'p', attrs: { dtype: 'float32', shape: 'big' } });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).param).toBe('p.shape');
    expect(() => g.addOp({ type: 'Placeholder', name: 'p', attrs: { dtype: 'float33' } })).toThrow(/for p\.dtype/);
  });

  it('a missing input tensor is reported before anything is added', () => {
    const g = new Graph();
    expect(() => g.addOp({ type: 'Neg', name: 'n', inputs: ['ghost:0'] })).toThrow(NotFoundError);
    expect(() => g.addOp({ type: 'Neg', name: 'n', inputs: ['ghost:0'] })).toThrow(/ghost/);
    expect(g.hasOperation('n')).toBe(false);
  });

  it("TF's own validation errors are InvalidArgumentError and leave the graph unchanged", () => {
    const g = model();
    const before = g.operations().length;
    expect(() => g.addOp({ type: 'MatMul', name: 'mm', inputs: ['x:0', 'x:0'] })).toThrow(InvalidArgumentError);
    expect(g.operations().length).toBe(before);
  });

  it('feed of the wrong dtype, shape, or a ragged array', async () => {
    const s = new Session(model());
    await expect(s.run('y:0', { 'x:0': Tensor.from([1, 2], 'int32') })).rejects.toThrow(
      /Cannot feed a int32 value to tensor 'x:0', which has dtype float32/,
    );
    await expect(s.run('y:0', { 'x:0': [1, 2, 3] })).rejects.toThrow(
      /Cannot feed value of shape \(3,\) for Tensor 'x:0', which has shape \(2,\)/,
    );
    const e = await s.run('y:0', { 'x:0': [[1], 2] as never }).catch((err) => err);
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.param).toBe("feeds['x:0']");
    await expect(s.run('y:0', { 'x:0': ['a', 'b'] as never })).rejects.toThrow(/feeds\['x:0'\]\[0\]/);
    await s.close();
  });

  it('fetch of a missing tensor or operation', async () => {
    const s = new Session(model());
    await expect(s.run('nothing:0')).rejects.toThrow(NotFoundError);
    await expect(s.run('nothing:0')).rejects.toThrow(/The tensor 'nothing:0' does not exist/);
    await expect(s.run('y:3')).rejects.toThrow(/operation 'y' has 1 output/);
    await expect(s.run('nothing')).rejects.toThrow(/The operation 'nothing' does not exist/);
    await expect(s.run({ a: 42 } as never)).rejects.toThrow(/fetches\.a/);
    await s.close();
  });

  it("a missing feed is TF's InvalidArgumentError, with the caller in the stack", async () => {
    const s = new Session(model());
    const e = await s.run('y:0').catch((err) => err);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e).toBeInstanceOf(TFError);
    expect(e.code).toBe(3);
    expect(e.message).toMatch(/must feed a value for placeholder tensor 'x'/);
    expect(e.stack).toContain('bad-input.test.ts');
    await s.close();
  });

  it('use after close', async () => {
    const s = new Session(model());
    await s.close();
    await s.close(); // idempotent
    expect(() => s.runSync('y:0', { 'x:0': [1, 2] })).toThrow(ClosedError);
    await expect(s.run('y:0', { 'x:0': [1, 2] })).rejects.toThrow(/Session is closed/);
    expect(() => s.listDevices()).toThrow(ClosedError);
  });

  it('garbage GraphDef bytes', () => {
    const g = new Graph();
    const e = (() => {
      try {
        g.importGraphDef(new Uint8Array([0xff, 0xff, 0xff, 0x07, 1, 2, 3]));
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/GraphDef/i);
    expect(() => g.importGraphDef('not bytes' as never)).toThrow(/Expected a Uint8Array of a serialized GraphDef for graphDef/);
  });

  it('options with unknown fields name the field', () => {
    expect(() => new Session(model(), { config: { interOpParalelismThreads: 2 } as never })).toThrow(
      /Unknown field 'interOpParalelismThreads' for tensorflow.ConfigProto/,
    );
    const s = new Session(model());
    expect(() => s.runSync('y:0', { 'x:0': [1, 2] }, { options: { traceLevel: 'EVERYTHING' } })).toThrow(/options\.traceLevel/);
    return s.close();
  });

  it('bad constructor arguments', () => {
    expect(() => new Session({} as never)).toThrow(/Expected a Graph for graph/);
    expect(() => Tensor.from([1, 2], 'float128' as never)).toThrow(/for dtype/);
    expect(() => Tensor.from({ dtype: 'float32', shape: [3], data: new Float32Array(2) })).toThrow(
      /value\.data has 2 elements but shape \[3\]/,
    );
  });
});

describe('use after close', () => {
  // A run that races close() gets the addon's FailedPreconditionError or the TS layer's
  // ClosedError, depending on which side sees the close first: both are FailedPreconditionError.
  it("ClosedError is a FailedPreconditionError with code 9, as the addon's own closed-session error", async () => {
    const g = new Graph();
    g.addOp({ type: 'Const', name: 'c', attrs: { dtype: 'float32', value: 1 } });
    const s = new Session(g);
    await s.close();
    const e = (() => {
      try {
        s.runSync('c:0');
      } catch (x) {
        return x;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(ClosedError);
    expect(e).toBeInstanceOf(FailedPreconditionError);
    expect((e as TFError).code).toBe(9);
  });
});

// From a second bad-input probe: each was a bare TypeError from inside, or accepted silently.
describe('more bad input to Graph, Tensor and Session', () => {
  it('names the parameter', () => {
    const g = new Graph();
    const c = g.addOp({ type: 'Const', name: 'c', attrs: { dtype: 'float32', value: 1 } });
    expect(param(() => c.attr(5 as never))).toBe('name');
    expect(param(() => new Operation(g, 5 as never))).toBe('name');
    expect(param(() => g.uniqueName(5 as never))).toBe('base');
    expect(param(() => g.addOp({ type: 'Placeholder', name: 'p', attrs: { dtype: 1.5 as never } }))).toBe('p.dtype');
    expect(param(() => g.addOp({ type: 'Const', name: 'a\u0000b', attrs: { dtype: 'float32', value: 1 } }))).toBe('spec.name');
    const bytes = g.toGraphDef();
    expect(param(() => new Graph().importGraphDef(bytes, { prefix: 5 as never }))).toBe('prefix');
    expect(param(() => new Graph().importGraphDef(bytes, { inputMap: 'x' as never }))).toBe('inputMap');
    expect(param(() => new Session(g, null as never))).toBe('opts');
    expect(param(() => new Session(g, { tagret: 'grpc://x' } as never))).toBe('tagret');
  });

  it('a Uint8ClampedArray is uint8 (it was taken as uint64), and an Output of another graph is refused as a feed key', () => {
    expect(Tensor.from(new Uint8ClampedArray([1, 300 & 0xff]) as never).dtype).toBe('uint8');
    const g = new Graph();
    const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [] } });
    g.addOp({ type: 'Square', name: 'y', inputs: [x] });
    const other = new Graph();
    const ox = other.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [] } });
    const s = new Session(g);
    expect((s.runSync('y:0', new Map([[x, 3]])) as Tensor).scalar()).toBe(9); // caches x:0
    expect(param(() => s.runSync('y:0', new Map([[ox, 3]])))).toBe('feeds');
  });
});
