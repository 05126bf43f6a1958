/**
 * Bad input to the summary builders and to FileWriter's session logs and steps: each is an
 * ArgumentError naming the parameter, never a value of the wrong type in the proto, never a
 * wrapped step.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../lib/core/errors';
import { Tensor } from '../../lib/core/tensor';
import { FileWriter, readEvents, scalarSummary, sessionLog } from '../../lib/summary';
import { histogramProto, imageSummary } from '../../lib/summary/summary-builders';
import { SessionLogSchema } from '../../lib/proto/gen/tensorflow/core/util/event_pb';
import { catchErrorSync } from '../support/errors';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-builders-input-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `run${++n}`);

function expectArgumentError(f: () => unknown, param: string): ArgumentError {
  const e = catchErrorSync<ArgumentError>(f);
  expect(e).toBeInstanceOf(ArgumentError);
  expect(e.param).toBe(param);
  expect(e.message).toContain(param);
  return e;
}

describe('imageSummary()', () => {
  it('refuses a channel count that is not a number', () => {
    expectArgumentError(
      () => imageSummary('im', { height: 1, width: 1, channels: '3' as never, data: new Uint8Array(3) }),
      'images.channels',
    );
    expectArgumentError(
      () => imageSummary('im', [{ height: 1, width: 1, channels: 3n as never, data: new Uint8Array(3) }]),
      'images[0].channels',
    );
    expect(imageSummary('im', { height: 1, width: 1, channels: 3, data: new Uint8Array(3) }).value[0].value.value).toMatchObject({
      colorspace: 3,
    });
  });
});

describe('histogramProto()', () => {
  it('refuses a tag that is not a string', () => {
    expectArgumentError(() => histogramProto([1], 5 as never), 'tag');
  });
});

describe('sessionLog()', () => {
  it('refuses null or non-object options and unknown option names', () => {
    expectArgumentError(() => sessionLog('START', null as never), 'opts');
    expectArgumentError(() => sessionLog('START', 'x' as never), 'opts');
    expectArgumentError(() => sessionLog('CHECKPOINT', { checkpointpath: '/x' } as never), 'checkpointpath');
    expect(sessionLog('CHECKPOINT', { checkpointPath: '/x' }).checkpointPath).toBe('/x');
  });

  it('refuses status names inherited from Object', () => {
    expectArgumentError(() => sessionLog('constructor' as never), 'status');
    expectArgumentError(() => sessionLog('toString' as never), 'status');
  });
});

describe('FileWriter#addSessionLog()', () => {
  it('refuses an unknown status as sessionLog() does, in a plain object or a message', async () => {
    const w = new FileWriter(freshDir());
    expectArgumentError(() => sessionLog(12345 as never), 'status');
    expectArgumentError(() => w.addSessionLog({ status: 12345 }, 1), 'sessionLog.status');
    expectArgumentError(() => w.addSessionLog(create(SessionLogSchema, { status: 12345 as never }), 1), 'sessionLog.status');
    w.addSessionLog({ status: 'START' }, 2);
    w.addSessionLog({ status: 3, checkpointPath: '/c' }, 3);
    const file = w.fileName!;
    await w.close();
    const logs = (await readEvents(file)).filter((e) => e.what.case === 'sessionLog');
    expect(logs.map((e) => [e.step, e.what.case === 'sessionLog' ? e.what.value.status : -1])).toEqual([
      [2n, 1],
      [3n, 3],
    ]);
  });
});

describe('FileWriter steps', () => {
  it('refuses a uint64 step tensor above int64 (it would be written as a negative step)', async () => {
    const w = new FileWriter(freshDir());
    const e = expectArgumentError(
      () => w.addSummary(scalarSummary('t', 1), Tensor.from(new BigUint64Array([2n ** 64n - 1n]))),
      'globalStep',
    );
    expect(e.message).toMatch(/within int64/);
    expectArgumentError(() => w.addSessionLog(sessionLog('START'), Tensor.from(new BigUint64Array([2n ** 63n]))), 'globalStep');
    w.addSummary(scalarSummary('t', 1), Tensor.from(new BigUint64Array([2n ** 63n - 1n])));
    w.addSummary(scalarSummary('t', 2), Tensor.from(new BigInt64Array([-(2n ** 63n)])));
    const file = w.fileName!;
    await w.close();
    const steps = (await readEvents(file)).filter((ev) => ev.what.case === 'summary').map((ev) => ev.step);
    expect(steps).toEqual([2n ** 63n - 1n, -(2n ** 63n)]);
  });
});
