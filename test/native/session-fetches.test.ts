import { describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import type { Tensor } from '../../lib/core/tensor';
import { thrownParam as param } from '../support/errors';

const g = new Graph();
const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [] } });
const two = g.addOp({ type: 'Const', name: 'two', attrs: { dtype: 'float32', value: 2 } });
const dbl = g.addOp({ type: 'Mul', name: 'dbl', inputs: [x, two] });
const sq = g.addOp({ type: 'Square', name: 'sq', inputs: [x] });
const v = g.addOp({ type: 'VariableV2', name: 'v', attrs: { dtype: 'float32', shape: [] } });
const init = g.addOp({ type: 'Assign', name: 'init', inputs: [v, two] });
const s = new Session(g);
const val = (t: unknown) => (t as Tensor).scalar();

describe('Session#run() fetch structures', () => {
  it('returns the structure asked for: objects, arrays, nesting, op names as null', async () => {
    const r = await s.run(
      { a: 'dbl:0', b: ['sq:0', { c: dbl.output(0), d: sq.output(0) }], op: 'init', opObj: init, none: null },
      { 'x:0': 3 },
    );
    expect(val(r.a)).toBe(6);
    expect(val(r.b[0])).toBe(9);
    expect(val((r.b[1] as { c: Tensor }).c)).toBe(6);
    expect(val((r.b[1] as { d: Tensor }).d)).toBe(9);
    expect([r.op, r.opObj, r.none]).toEqual([null, null, null]);
  });

  it('the same fetch object with different feeds each step gets the right plan (last-plan reuse)', () => {
    const f = { d: 'dbl:0' };
    // x fed, then x fed under another name, then x and the constant both fed.
    for (let i = 1; i <= 3; i++) {
      expect(val(s.runSync(f, { 'x:0': i }).d)).toBe(2 * i);
      expect(val(s.runSync(f, { x: i + 10 }).d)).toBe(2 * (i + 10));
      expect(val(s.runSync(f, { 'x:0': i, 'two:0': 3 }).d)).toBe(3 * i);
    }
    // A scalar of known static shape gets its shape from the graph (the addon leaves it out).
    expect(s.runSync({ d: 'dbl:0' }, { 'x:0': 5 }).d!.shape).toEqual([]);
  });

  it('fetching the same tensor twice gives two results', async () => {
    const [a, b] = await s.run(['sq:0', 'sq:0'], { x: 4 });
    expect([val(a), val(b)]).toEqual([16, 16]);
  });

  it('a reused fetch object that was changed is honoured (the cache keys on content)', async () => {
    const fetches: Record<string, string> = { out: 'dbl:0' };
    expect(val((await s.run(fetches, { 'x:0': 5 })).out)).toBe(10);
    fetches.out = 'sq:0';
    expect(val((await s.run(fetches, { 'x:0': 5 })).out)).toBe(25);
    fetches.extra = 'dbl:0';
    const r = s.runSync(fetches, { 'x:0': 5 });
    expect([val(r.out), val(r.extra)]).toEqual([25, 10]);
  });

  it('fetch objects used in turn (as a monitored step and its hooks do) each keep their plan, and changes are honoured', () => {
    const step: Record<string, unknown> = { d: 'dbl:0', nested: { s: sq.output(0) } };
    const read = dbl.output(0);
    for (let i = 1; i <= 4; i++) {
      const r = s.runSync(step as never, { 'x:0': i }) as { d: Tensor; nested: { s: Tensor; t?: Tensor } };
      expect([val(r.d), val(r.nested.s)]).toEqual([2 * i, i * i]);
      expect(val(s.runSync(read, { 'x:0': i + 1 }))).toBe(2 * (i + 1));
      expect(val(s.runSync([read, 'sq:0'], { 'x:0': i })[1])).toBe(i * i);
    }
    // A nested change in the object that keeps coming back is seen, as is a feed added to it.
    (step.nested as Record<string, unknown>).t = 'dbl:0';
    const r = s.runSync(step as never, { 'x:0': 3 }) as { nested: { t: Tensor } };
    expect(val(r.nested.t)).toBe(6);
    expect(val((s.runSync(step as never, { 'x:0': 3, 'two:0': 5 }) as { d: Tensor }).d)).toBe(15);
    expect(val(s.runSync(read, { 'x:0': 3 }))).toBe(6);
  });

  it('tells an Output leaf from an object with the same JSON shape', () => {
    expect(() => s.runSync({ '\u0000tensor': 'sq:0' } as never, { x: 1 })).toThrow(/keys that do not start with a NUL character/);
    expect(val(s.runSync(sq.output(0), { x: 3 }))).toBe(9);
  });

  it('accepts feeds keyed by Output objects through a Map', async () => {
    const r = await s.run('dbl:0', new Map([[x.output(0), 1.5]]));
    expect(val(r)).toBe(3);
  });

  // Found by a bad-input probe: each failed with a message that named nothing useful, and the
  // frozen sink only after the run had already changed the variable.
  it('names bad feeds, cyclic fetches and an unwritable runMetadata before anything runs', async () => {
    expect(param(() => s.runSync('dbl:0', 'x' as never))).toBe('feeds');
    expect(param(() => s.runSync('dbl:0', [1.5] as never))).toBe('feeds');
    const cyclic: Record<string, unknown> = { a: 'dbl:0' };
    cyclic.self = cyclic;
    expect(param(() => s.runSync(cyclic as never, { 'x:0': 1 }))).toBe('fetches');
    expect(param(() => s.runSync({ a: 1n } as never, { 'x:0': 1 }))).toBe('fetches');
    s.runSync('init');
    const frozen = Object.freeze({});
    expect(param(() => s.runSync(['v:0', 'init'], undefined, { runMetadata: frozen as never }))).toBe('runMetadata');
    await expect(s.run('v:0', undefined, { runMetadata: Object.freeze({ bytes: undefined }) as never })).rejects.toMatchObject({
      param: 'runMetadata',
    });
    const sink: { bytes?: Uint8Array } = {};
    s.runSync('v:0', undefined, { runMetadata: sink });
    expect(sink.bytes).toBeInstanceOf(Uint8Array);
  });
});
