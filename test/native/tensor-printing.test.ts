/**
 * A Tensor prints as numpy prints its values (`String(t)`, template strings), and `util.inspect`
 * (console.log) adds its dtype and shape; so a LoggingTensorHook formatter gets what Python's does
 * (TF's basic_session_run_hooks_test `test_print_formatter`).
 */
import util from 'node:util';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { Tensor } from '../../lib/core/tensor';
import { LoggingTensorHook } from '../../lib/hooks/basic/logging-tensor-hook';
import { HookedSession } from '../../lib/train/hooked-session';
import { Level, captureLogs } from '../../lib/core/logging';

describe('String(tensor) and util.inspect(tensor)', () => {
  it('a float scalar: 42.0', () => {
    const t = Tensor.from(42, 'float32');
    expect(String(t)).toBe('42.0');
    expect(`qqq=${t}`).toBe('qqq=42.0');
    expect(util.inspect(t)).toBe('Tensor<float32 []> 42.0');
  });

  it('an int64 beyond 2^53, exactly', () => {
    const t = Tensor.from([2n ** 60n + 1n, -5n], 'int64');
    expect(String(t)).toBe('[1152921504606846977                  -5]');
    expect(util.inspect(t)).toBe('Tensor<int64 [2]> [1152921504606846977                  -5]');
  });

  it("a string tensor: numpy's bytes", () => {
    const t = Tensor.from(['abc', 'de'], 'string');
    expect(String(t)).toBe("[b'abc' b'de']");
    expect(util.inspect(t)).toBe("Tensor<string [2]> [b'abc' b'de']");
  });

  it('a 10,000-element tensor is elided as numpy does', () => {
    const t = Tensor.from(new Float32Array(10000).map((_, i) => i / 4));
    expect(String(t)).toBe('[   0.      0.25    0.5  ... 2499.25 2499.5  2499.75]');
    expect(util.inspect(t)).toBe('Tensor<float32 [10000]> [   0.      0.25    0.5  ... 2499.25 2499.5  2499.75]');
  });

  it('a matrix on its own lines; half floats decoded; a disposed tensor says so', () => {
    expect(
      util.inspect(
        Tensor.from(
          [
            [1, 2],
            [3, 4],
          ],
          'int32',
        ),
      ),
    ).toBe('Tensor<int32 [2, 2]>\n[[1 2]\n [3 4]]');
    expect(String(Tensor.from([1.5, 2], 'float16'))).toBe('[1.5 2. ]');
    const d = Tensor.from(new Float32Array(64));
    d.dispose();
    expect(String(d)).toBe('Tensor<float32 [64]> (disposed)');
  });
});

describe('LoggingTensorHook', () => {
  it('test_print_formatter: the formatter gets printable values (qqq=42.0)', async () => {
    const g = new Graph();
    g.addOp({ type: 'Const', name: 'foo', attrs: { dtype: 'float32', value: 42 } });
    g.addOp({ type: 'Const', name: 'train', attrs: { dtype: 'int32', value: 3 } });
    const hook = new LoggingTensorHook({ tensors: ['foo:0'], everyNIter: 10, formatter: (items) => `qqq=${items['foo:0']}` });
    const logs = captureLogs();
    const sess = new Session(g);
    try {
      hook.begin();
      await new HookedSession(sess, [hook]).run('train:0');
      expect(logs.messages(Level.INFO)).toContain('qqq=42.0');
    } finally {
      logs.restore();
      await sess.close();
    }
  });
});
