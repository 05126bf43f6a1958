/**
 * `.npy`/`.npz` files written by numpy itself (live, in one Python run): every numeric and bool
 * dtype in both byte orders, C and Fortran order, 0-d and empty arrays, format versions 1-3,
 * strings, `np.savez` and `np.savez_compressed`; values compared byte for byte with numpy's.
 * Then corrupt files: each a DataFormatError naming the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPythonJSON } from '../support/python';
import { DataFormatError, encodeNpy, parseNpy, parseNpz, readNpy, readNpz } from '../../lib/data';
import { Tensor } from '../../lib/core/tensor';
import type { TypedArray } from '../../lib/core/dtypes';

/** numpy alone: no TensorFlow import for these files. */
const NUMPY_PREAMBLE = `import sys, json, os
import numpy as np
def emit(obj):
    sys.stdout.write('\\n' + json.dumps(obj) + '\\n')
`;

interface Case {
  name: string;
  dtype: string;
  shape: number[];
  fortran: boolean;
  le: string;
  strings?: string[];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-npy-'));
let cases: Case[] = [];
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  cases = runPythonJSON<Case[]>(
    `
    out = sys.argv[1]
    rng = np.random.default_rng(7)
    cases = {}
    codes = ['b1', 'i1', 'u1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8', 'f2', 'f4', 'f8', 'c8', 'c16']
    for code in codes:
        dt = np.dtype(code)
        if code == 'b1':
            a = rng.integers(0, 2, size=(2, 3, 4)).astype(bool)
        else:
            # Every bit pattern: NaN payloads, infinities, subnormals, -0.0, the integer extremes.
            a = rng.integers(0, 256, size=2 * 3 * 4 * dt.itemsize, dtype=np.uint8).view(dt).reshape(2, 3, 4).copy()
            if dt.kind in 'iu':
                a.flat[0] = np.iinfo(dt).min
                a.flat[1] = np.iinfo(dt).max
            if dt.kind == 'f':
                a.flat[0:4] = [np.inf, -0.0, np.finfo(dt).smallest_subnormal, np.finfo(dt).max]
        cases['c_' + code] = a
        cases['f_' + code] = np.asfortranarray(a)
        if dt.itemsize > 1:
            be = a.astype(dt.newbyteorder('>'))
            cases['be_' + code] = be
            cases['fbe_' + code] = np.asfortranarray(be)
    cases['f_2d'] = np.asfortranarray(np.arange(15, dtype=np.int32).reshape(3, 5))
    cases['f_4d'] = np.asfortranarray(np.arange(2 * 3 * 1 * 5, dtype=np.float32).reshape(2, 3, 1, 5))
    cases['scalar_f8'] = np.array(3.25)
    cases['scalar_i8'] = np.array(-7, dtype=np.int64)
    cases['scalar_b1'] = np.array(True)
    cases['empty_1d'] = np.zeros((0,), np.float32)
    cases['empty_3d'] = np.zeros((2, 0, 3), np.int16)
    cases['empty_f'] = np.asfortranarray(np.zeros((0, 4), np.float64))
    cases['bytes'] = np.array([[b'ab', b''], [b'xyz', b'\\x00q']])
    cases['unicode'] = np.array(['h\\u00e9llo', '', 'a\\u20ac\\U0001F600'])
    cases['unicode_be'] = np.array(['ab', 'c\\u00e9']).astype('>U2')
    result = []
    for name, a in cases.items():
        np.save(os.path.join(out, name + '.npy'), a)
        with open(os.path.join(out, name + '.npy'), 'rb') as f:
            fortran = np.lib.format.read_array_header_1_0(f) if f.read(8)[6] == 1 else None
        c = np.ascontiguousarray(a)
        strings = None
        if a.dtype.kind == 'S':
            strings = [v.decode('latin1') for v in c.reshape(-1).tolist()]
        elif a.dtype.kind == 'U':
            strings = c.reshape(-1).tolist()
        le = '' if strings is not None else c.astype(a.dtype.newbyteorder('<')).tobytes().hex()
        result.append({'name': name, 'dtype': a.dtype.name, 'shape': list(a.shape), 'fortran': bool(fortran and fortran[1]), 'le': le, 'strings': strings})
    # Format versions 2.0 and 3.0 (numpy picks them for huge or non-latin1 headers; forced here).
    for v in [(2, 0), (3, 0)]:
        a = np.arange(6, dtype='<f4').reshape(2, 3)
        with open(os.path.join(out, 'v%d.npy' % v[0]), 'wb') as f:
            np.lib.format.write_array(f, a, version=v)
        result.append({'name': 'v%d' % v[0], 'dtype': 'float32', 'shape': [2, 3], 'fortran': False, 'le': a.tobytes().hex()})
    # Archives: stored and deflated, named and positional members.
    images = rng.integers(0, 17, size=(10, 8, 8)).astype(np.uint8)
    labels = rng.integers(0, 10, size=(10,)).astype(np.int32)
    np.savez(os.path.join(out, 'stored.npz'), images=images, labels=labels)
    np.savez_compressed(os.path.join(out, 'compressed.npz'), images=images, labels=labels)
    np.savez(os.path.join(out, 'positional.npz'), images, np.asfortranarray(images.astype('>f8')))
    result.append({'name': 'npz_images', 'dtype': 'uint8', 'shape': [10, 8, 8], 'fortran': False, 'le': images.tobytes().hex()})
    result.append({'name': 'npz_labels', 'dtype': 'int32', 'shape': [10], 'fortran': False, 'le': labels.tobytes().hex()})
    result.append({'name': 'npz_arr_1', 'dtype': 'float64', 'shape': [10, 8, 8], 'fortran': False, 'le': images.astype('<f8').tobytes().hex()})
    # An object array (pickled): numpy writes it only with allow_pickle.
    np.save(os.path.join(out, 'object.npy'), np.array([1, 'a', None], dtype=object), allow_pickle=True)
    np.save(os.path.join(out, 'structured.npy'), np.zeros(3, dtype=[('a', '<i4'), ('b', '<f8')]))
    np.save(os.path.join(out, 'datetime.npy'), np.array(['2020-01-01'], dtype='datetime64[D]'))
    np.savez(os.path.join(out, 'with_object.npz'), good=np.arange(3), bad=np.array([{}], dtype=object))
    emit(result)
  `,
    { args: [dir], preamble: NUMPY_PREAMBLE },
  );
}, 120_000);

/** The tensor's values as little-endian bytes, in hex (the host is little-endian: x86-64). */
function hexOf(t: Tensor): string {
  const d = t.data as TypedArray;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
}

const NUMPY_NAME: Record<string, string> = {
  bool: 'bool',
  float16: 'float16',
  float32: 'float32',
  float64: 'float64',
  complex64: 'complex64',
  complex128: 'complex128',
};

function expectSame(t: Tensor, c: Case): void {
  expect(t.shape, c.name).toEqual(c.shape);
  if (c.strings) {
    expect(t.dtype).toBe('string');
    const got = t.bytes.map((b) => (c.dtype.startsWith('bytes') ? Buffer.from(b).toString('latin1') : Buffer.from(b).toString('utf8')));
    expect(got, c.name).toEqual(c.strings);
    return;
  }
  expect(NUMPY_NAME[t.dtype] ?? t.dtype, c.name).toBe(c.dtype);
  expect(hexOf(t), c.name).toBe(c.le);
}

describe('.npy written by numpy', () => {
  it('reads every dtype, byte order and memory order numpy wrote, value for value', async () => {
    const npy = cases.filter((c) => !c.name.startsWith('npz_'));
    // Every case the brief lists is there: all 14 type codes, C and Fortran, big-endian.
    expect(npy.filter((c) => c.name.startsWith('c_'))).toHaveLength(14);
    expect(npy.filter((c) => c.name.startsWith('be_'))).toHaveLength(11);
    // numpy marked the Fortran-order arrays as such (the reader's reordering is exercised).
    expect(npy.filter((c) => c.fortran).map((c) => c.name)).toEqual(expect.arrayContaining(['f_i4', 'fbe_f8', 'f_2d', 'f_4d']));
    for (const c of npy) expectSame(await readNpy(path.join(dir, `${c.name}.npy`)), c);
  });

  it('gives 0-d arrays shape [] and empty arrays their zero-length shape', async () => {
    const s = await readNpy(path.join(dir, 'scalar_f8.npy'));
    expect(s.shape).toEqual([]);
    expect(s.scalar()).toBe(3.25);
    expect((await readNpy(path.join(dir, 'scalar_i8.npy'))).scalar()).toBe(-7n);
    expect((await readNpy(path.join(dir, 'scalar_b1.npy'))).scalar()).toBe(true);
    expect((await readNpy(path.join(dir, 'empty_3d.npy'))).shape).toEqual([2, 0, 3]);
  });

  it('writes .npy that numpy reads back exactly (encodeNpy)', () => {
    const tensors = {
      f4: Tensor.from(
        [
          [1.5, -2],
          [Infinity, 0.1],
        ],
        'float32',
      ),
      i8: Tensor.from([1n, -(2n ** 63n)], 'int64'),
      b1: Tensor.from([true, false, true]),
      s: Tensor.from(['ab', 'c']),
      z: Tensor.from(7, 'uint16'),
    };
    for (const [k, t] of Object.entries(tensors)) fs.writeFileSync(path.join(dir, `w_${k}.npy`), encodeNpy(t));
    const back = runPythonJSON<Record<string, { dtype: string; shape: number[]; hex: string }>>(
      `
      out = {}
      for k in ['f4', 'i8', 'b1', 's', 'z']:
          a = np.load(os.path.join(sys.argv[1], 'w_%s.npy' % k))
          out[k] = {'dtype': a.dtype.str, 'shape': list(a.shape), 'hex': a.tobytes().hex()}
      emit(out)
    `,
      { args: [dir], preamble: NUMPY_PREAMBLE },
    );
    expect(back.f4).toEqual({ dtype: '<f4', shape: [2, 2], hex: hexOf(tensors.f4) });
    expect(back.i8).toEqual({ dtype: '<i8', shape: [2], hex: hexOf(tensors.i8) });
    expect(back.b1).toEqual({ dtype: '|b1', shape: [3], hex: '010001' });
    expect(back.s).toEqual({ dtype: '|S2', shape: [2], hex: Buffer.from('ab' + 'c\0').toString('hex') });
    expect(back.z).toEqual({ dtype: '<u2', shape: [], hex: '0700' });
    // And the reader takes its own output back.
    expect(hexOf(parseNpy(encodeNpy(tensors.f4)))).toBe(hexOf(tensors.f4));
  });
});

describe('.npz written by numpy', () => {
  it('reads np.savez (stored) and np.savez_compressed (deflated) archives, keyed as numpy keys them', async () => {
    const images = cases.find((c) => c.name === 'npz_images')!;
    const labels = cases.find((c) => c.name === 'npz_labels')!;
    for (const f of ['stored.npz', 'compressed.npz']) {
      const d = await readNpz(path.join(dir, f));
      expect(Object.keys(d).sort()).toEqual(['images', 'labels']);
      expectSame(d.images, images);
      expectSame(d.labels, labels);
    }
    const p = await readNpz(path.join(dir, 'positional.npz'));
    expect(Object.keys(p).sort()).toEqual(['arr_0', 'arr_1']);
    expectSame(p.arr_0, images);
    expectSame(p.arr_1, cases.find((c) => c.name === 'npz_arr_1')!); // big-endian and Fortran inside a zip
  });
});

describe('corrupt and unsupported files are a DataFormatError naming the file', () => {
  async function failure(p: string): Promise<DataFormatError> {
    const e = await (p.endsWith('.npz') ? readNpz(p) : readNpy(p)).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e, p).toBeInstanceOf(DataFormatError);
    expect((e as DataFormatError).message, p).toContain(p);
    expect((e as DataFormatError).file.startsWith(p)).toBe(true);
    return e as DataFormatError;
  }
  function variant(from: string, name: string, change: (b: Buffer) => Buffer): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, change(fs.readFileSync(path.join(dir, from))));
    return p;
  }

  it('truncated data, truncated header, bad magic, bad header, unknown version', async () => {
    expect((await failure(variant('c_f8.npy', 'short.npy', (b) => b.subarray(0, b.length - 3)))).reason).toMatch(
      /^truncated: shape \(2, 3, 4\) of '<f8' needs 192 bytes of data, the file has 189/,
    );
    expect((await failure(variant('c_f8.npy', 'long.npy', (b) => Buffer.concat([b, Buffer.from([0])])))).reason).toMatch(/^size mismatch/);
    expect((await failure(variant('c_f8.npy', 'cut-header.npy', (b) => b.subarray(0, 40)))).reason).toMatch(/^truncated in the header/);
    expect((await failure(variant('c_f8.npy', 'tiny.npy', (b) => b.subarray(0, 4)))).reason).toMatch(/^truncated/);
    expect(
      (
        await failure(
          variant('c_f8.npy', 'magic.npy', (b) => {
            const c = Buffer.from(b);
            c[1] = 0x41;
            return c;
          }),
        )
      ).reason,
    ).toMatch(/^not a \.npy file/);
    expect(
      (
        await failure(
          variant('c_f8.npy', 'header.npy', (b) => Buffer.from(b.toString('latin1').replace("'shape': (", "'shape': [("), 'latin1')),
        )
      ).reason,
    ).toMatch(/^bad header/);
    expect(
      (await failure(variant('c_f8.npy', 'nokey.npy', (b) => Buffer.from(b.toString('latin1').replace("'descr'", "'dtype'"), 'latin1'))))
        .reason,
    ).toMatch(/has no 'descr' key/);
    expect(
      (
        await failure(
          variant('c_f8.npy', 'version.npy', (b) => {
            const c = Buffer.from(b);
            c[6] = 9;
            return c;
          }),
        )
      ).reason,
    ).toMatch(/version 9\.0/);
    const noChar = (b: Buffer) => {
      const c = Buffer.from(b);
      c.writeUInt32LE(0x110000, 10 + c.readUInt16LE(8));
      return c;
    };
    expect((await failure(variant('unicode.npy', 'codepoint.npy', noChar))).reason).toMatch(/^bad '<U\d+' text/);
  });

  it('object, structured and datetime arrays are refused by dtype', async () => {
    expect((await failure(path.join(dir, 'object.npy'))).reason).toMatch(/'\|O'.*object arrays/);
    expect((await failure(path.join(dir, 'structured.npy'))).reason).toMatch(/structured/);
    expect((await failure(path.join(dir, 'datetime.npy'))).reason).toMatch(/'<M8\[D\]'/);
    const e = await failure(path.join(dir, 'with_object.npz'));
    expect(e.file).toBe(`${path.join(dir, 'with_object.npz')}[bad.npy]`);
  });

  it('not a zip, a truncated zip, a corrupted stored member (CRC), a corrupted deflated member', async () => {
    expect((await failure(variant('c_f8.npy', 'notzip.npz', (b) => b))).reason).toMatch(/^not a readable zip archive/);
    expect((await failure(variant('stored.npz', 'cut.npz', (b) => b.subarray(0, b.length - 30)))).reason).toMatch(
      /^not a readable zip archive/,
    );
    // A value byte of the stored 'labels' member flipped: only the CRC tells.
    const stored = fs.readFileSync(path.join(dir, 'stored.npz'));
    const at = stored.indexOf(Buffer.from('\x93NUMPY', 'latin1'), stored.indexOf(Buffer.from('labels.npy'))) + 128 + 5;
    const e = await failure(
      variant('stored.npz', 'crc.npz', (b) => {
        const c = Buffer.from(b);
        c[at] ^= 0xff;
        return c;
      }),
    );
    expect(e.reason).toMatch(/CRC-32/);
    expect(e.file).toBe(`${path.join(dir, 'crc.npz')}[labels.npy]`);
    // Inside the deflated stream of the first member.
    const mid = await failure(
      variant('compressed.npz', 'inflate.npz', (b) => {
        const c = Buffer.from(b);
        for (let i = 60; i < 80; i++) c[i] ^= 0x5a;
        return c;
      }),
    );
    expect(mid.reason).toMatch(/corrupted zip member|CRC-32/);
    // Bytes given without a name are called <bytes>.
    await expect(parseNpz(new Uint8Array([1, 2, 3]))).rejects.toThrow(/^<bytes>: not a readable zip archive/);
  });
});
