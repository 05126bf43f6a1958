import { describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { Tensor } from '../../lib/core/tensor';

function buildModel(g: Graph) {
  const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [-1, 2] } });
  const w = g.addOp({ type: 'VariableV2', name: 'w', attrs: { dtype: 'float32', shape: [2, 1] } });
  const w0 = g.addOp({ type: 'Const', name: 'w/initial', attrs: { dtype: 'float32', value: [[2], [-1]] } });
  g.addOp({ type: 'Assign', name: 'w/Assign', inputs: [w, w0] });
  const b = g.addOp({ type: 'Const', name: 'b', attrs: { dtype: 'float32', value: Tensor.from([[0.5]]) } });
  const mm = g.addOp({ type: 'MatMul', name: 'mm', inputs: [x, w], attrs: { transpose_a: false } });
  g.addOp({ type: 'Add', name: 'y', inputs: [mm, b] });
}

describe('Graph#addOp (op builder)', () => {
  it('builds, runs, exports and re-imports a graph with the same result', async () => {
    const g = new Graph();
    buildModel(g);
    const s = new Session(g);
    await s.run('w/Assign');
    const feeds = {
      'x:0': [
        [1, 2],
        [3, 4],
        [-1, 0.5],
      ],
    };
    const y = await s.run('y:0', feeds);
    expect(Array.from(y!.data as Float32Array)).toEqual([0.5, 2.5, -2]);
    expect(y!.shape).toEqual([3, 1]);

    const g2 = new Graph();
    g2.importGraphDef(g.toGraphDef());
    expect(g2.operations().map((o) => o.name)).toEqual(g.operations().map((o) => o.name));
    const s2 = new Session(g2);
    await s2.run('w/Assign');
    const y2 = await s2.run('y:0', feeds);
    expect(Array.from(y2!.data as Float32Array)).toEqual(Array.from(y!.data as Float32Array));
    await s.close();
    await s2.close();
  });

  it('sets attrs of every kind the C API has', () => {
    const g = new Graph();
    const x = g.addOp({ type: 'Placeholder', name: 'img', attrs: { dtype: 'float32', shape: [1, 4, 4, 1] } });
    const pool = g.addOp({
      type: 'MaxPool',
      name: 'pool',
      inputs: [x],
      attrs: { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: 'VALID', data_format: 'NHWC' },
    });
    expect(pool.attr('ksize').value.case).toBe('list');
    expect((pool.attr('ksize').value.value as { i: bigint[] }).i).toEqual([1n, 2n, 2n, 1n]);
    expect(new TextDecoder().decode(pool.attr('padding').value.value as Uint8Array)).toBe('VALID');
    const q = g.addOp({
      type: 'FIFOQueueV2',
      name: 'q',
      attrs: { component_types: ['float32', 'int64'], shapes: [[2], []], capacity: 5, shared_name: 'q1' },
    });
    expect((q.attr('component_types').value.value as { type: number[] }).type.length).toBe(2);
    expect((q.attr('shapes').value.value as { shape: unknown[] }).shape.length).toBe(2);
    const f = g.addOp({ type: 'Placeholder', name: 'f', attrs: { dtype: 'float32', shape: [3] } });
    const leaky = g.addOp({ type: 'LeakyRelu', name: 'leaky', inputs: [f], attrs: { alpha: 0.25 } });
    expect(leaky.attr('alpha').value.value).toBeCloseTo(0.25);
    const bucket = g.addOp({ type: 'Bucketize', name: 'bucket', inputs: [f], attrs: { boundaries: [0, 1.5, 3] } });
    expect((bucket.attr('boundaries').value.value as { f: number[] }).f).toEqual([0, 1.5, 3]);
    const cast = g.addOp({ type: 'Cast', name: 'cast', inputs: [f], attrs: { DstT: 'int64', Truncate: true } });
    expect(cast.output().dtype).toBe('int64');
    const m2 = g.addOp({ type: 'Placeholder', name: 'm2', attrs: { dtype: 'float32', shape: [2, 2] } });
    const mm = g.addOp({ type: 'MatMul', name: 'mm', inputs: [m2, m2], attrs: { transpose_b: true } });
    expect(mm.attr('transpose_b').value.value).toBe(true);
    // A list input, control inputs and a device.
    const c1 = g.addOp({ type: 'Const', name: 'c1', attrs: { dtype: 'int32', value: [1, 2] } });
    const c2 = g.addOp({ type: 'Const', name: 'c2', attrs: { dtype: 'int32', value: [3] } });
    const axis = g.addOp({ type: 'Const', name: 'axis', attrs: { dtype: 'int32', value: 0 } });
    const cat = g.addOp({ type: 'ConcatV2', name: 'cat', inputs: [[c1, c2], axis], controlInputs: [q], device: '/cpu:0' });
    expect(cat.controlInputs.map((o) => o.name)).toEqual(['q']);
    expect(cat.device).toMatch(/cpu:0/i);
    expect(cat.inputs.map((o) => o.name)).toEqual(['c1:0', 'c2:0', 'axis:0']);
    // Generic proto fallback.
    const p = g.addOp({
      type: 'Placeholder',
      name: 'p2',
      attrs: { dtype: 'int32', shape: { proto: { value: { case: 'shape', value: { unknownRank: true } } } } },
    });
    expect(p.output().shape).toBeNull();
  });

  it('names ops uniquely like Python when no name is given', () => {
    const g = new Graph();
    const a = g.addOp({ type: 'NoOp' });
    const b = g.addOp({ type: 'NoOp' });
    expect([a.name, b.name]).toEqual(['no_op', 'no_op_1']);
  });
});

describe('Output#dtype', () => {
  it('gives the base dtype of a reference output and says it is a reference', () => {
    const g = new Graph();
    const v = g.addOp({ type: 'VariableV2', name: 'v', attrs: { dtype: 'int64', shape: [] } });
    const r = g.addOp({ type: 'Identity', name: 'r', inputs: [v] });
    expect([v.output().dtype, v.output().isRef]).toEqual(['int64', true]);
    expect([r.output().dtype, r.output().isRef]).toEqual(['int64', false]);
  });
});
