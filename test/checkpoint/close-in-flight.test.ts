/**
 * Issue 13, points 4 and 5: `close()` with runs in flight waits for them before the end() hooks
 * save, so that the final checkpoint holds every step whose run() resolved; a run issued once
 * close() began is a ClosedError; run(null) / run(undefined) is an ArgumentError naming fetches.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ClosedError } from '../../lib/core/errors';
import { CheckpointSaverHook } from '../../lib/hooks/basic/checkpoint-saver-hook';
import { CheckpointReader } from '../../lib/checkpoint/checkpoint-reader';
import { latestCheckpoint } from '../../lib/checkpoint/checkpoint-state';
import { MonitoredSession } from '../../lib/train/monitored-session';
import { Scaffold } from '../../lib/checkpoint/scaffold';
import { ChiefSessionCreator } from '../../lib/train/session-creators';
import { catchError, expectArgumentError } from '../support/errors';
import { SESSION_CONFIG, cleanupTmp, tmp } from './support';
import { model } from './train-model';

afterAll(cleanupTmp);

const ROUNDS = 10;
const RUNS = 5;

async function chief(dir: string): Promise<MonitoredSession> {
  const graph = model(4, 8);
  const scaffold = new Scaffold();
  return MonitoredSession.create({
    sessionCreator: new ChiefSessionCreator({ graph, scaffold, checkpointDir: dir, config: SESSION_CONFIG }),
    hooks: [new CheckpointSaverHook({ checkpointDir: dir, saveSteps: 1000, scaffold, graph, saveGraphDef: false })],
    graph,
  });
}

describe('MonitoredSession#close() with runs in flight', () => {
  it(`saves a final checkpoint holding every step whose run() resolved (${RUNS} runs not awaited, ${ROUNDS} rounds)`, async () => {
    const seen: Array<[number, number]> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const dir = tmp('tfm-close-');
      const sess = await chief(dir);
      let resolved = 0;
      const runs = Array.from({ length: RUNS }, () =>
        sess.run('train').then(() => {
          resolved++;
        }),
      );
      await sess.close();
      await Promise.allSettled(runs);
      const reader = new CheckpointReader((await latestCheckpoint(dir))!);
      seen.push([Number(reader.getTensor('global_step').scalar()), resolved]);
      reader.close();
    }
    expect(seen).toEqual(Array.from({ length: ROUNDS }, () => [RUNS, RUNS]));
  });

  it('rejects a run issued once close() began with a ClosedError', async () => {
    const sess = await chief(tmp('tfm-close-'));
    const inFlight = sess.run('train');
    const closing = sess.close();
    const e = await catchError(sess.run('train'));
    expect(e).toBeInstanceOf(ClosedError);
    await inFlight;
    await closing;
  });
});

describe('MonitoredSession#run() without fetches', () => {
  it('run(null) and run(undefined) are ArgumentErrors naming fetches, also from runWithHooks', async () => {
    const sess = await chief(tmp('tfm-close-'));
    await expectArgumentError(sess.run(null as never), 'fetches');
    await expectArgumentError(sess.run(undefined as never), 'fetches');
    // A misuse is not a reason to stop: training goes on.
    expect(sess.stopReason).toBeNull();
    await sess.run('train');
    await expectArgumentError(
      sess.runStepFn((ctx) => ctx.runWithHooks(null as never)),
      'fetches',
    );
    await sess.close();
  });
});
