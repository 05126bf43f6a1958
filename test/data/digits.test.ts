/**
 * The committed examples/digits/digits.npz is what scripts/fixtures/digits_npz.py writes from
 * scikit-learn's digits (regenerated live here and compared array by array, byte for byte), and
 * readNpz gives the dtypes and shapes the example relies on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runPythonJSON } from '../support/python';
import { ROOT } from '../support/child';
import { readNpz } from '../../lib/data';
import type { TypedArray } from '../../lib/core/dtypes';

it('examples/digits/digits.npz: sklearn digits, 1437 train / 360 test, as the script writes it', async () => {
  const committed = path.join(ROOT, 'examples', 'digits', 'digits.npz');
  const d = await readNpz(committed);
  expect(Object.fromEntries(Object.entries(d).map(([k, t]) => [k, [t.dtype, t.shape]]))).toEqual({
    train_images: ['uint8', [1437, 8, 8]],
    train_labels: ['int32', [1437]],
    test_images: ['uint8', [360, 8, 8]],
    test_labels: ['int32', [360]],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-digits-'));
  const fresh = path.join(dir, 'digits.npz');
  const py = runPythonJSON<Record<string, string>>(
    `
    import sys, json, runpy, io, contextlib
    import numpy as np
    sys.argv = [sys.argv[1], sys.argv[2]]
    with contextlib.redirect_stdout(io.StringIO()):
        runpy.run_path(sys.argv[0], run_name='__main__')
    d = np.load(sys.argv[1])
    print(json.dumps({k: d[k].tobytes().hex() for k in d.files}))
  `,
    { args: [path.join(ROOT, 'scripts', 'fixtures', 'digits_npz.py'), fresh], preamble: false },
  );
  for (const [k, t] of Object.entries(d)) {
    const data = t.data as TypedArray;
    expect(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex'), k).toBe(py[k]);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);
