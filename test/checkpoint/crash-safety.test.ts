/**
 * Issue 4, point 4: crash safety. A child process saves in a loop (children/save-loop.ts, sharded
 * and unsharded in turn) and is killed with SIGKILL at a random moment, 50 times; after every kill
 * the state file parses, names only checkpoints whose files are all there, and every checkpoint it
 * names restores (through a Saver, in this process) to exactly the values saved for its step.
 *
 * The delays come from a seeded generator (CRASH_SEED overrides the seed; it is printed on failure).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseText } from '../../lib/proto/text-format';
import { CheckpointStateSchema } from '../../lib/proto/gen/tensorflow/python/training/checkpoint_state_pb';
import { Saver } from '../../lib/checkpoint/saver';
import { checkpointExists, getCheckpointState } from '../../lib/checkpoint/checkpoint-state';
import { startTs } from '../support/child';
import { mulberry32 } from '../support/seeded-random';
import { cleanupTmp, newSession, readSmall, smallGraph, tmp } from './support';

const KILLS = 50;
const CHILD = path.join(__dirname, 'children', 'save-loop.ts');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(cleanupTmp);

describe('Saver#save() killed with SIGKILL at random moments', () => {
  it(`leaves a state file naming only checkpoints that restore (${KILLS} kills)`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? 20240611);
    const random = mulberry32(seed);
    const dir = tmp('tfm-crash-');
    const graph = smallGraph();
    const sess = newSession(graph);
    const saver = new Saver({ graph, sharded: true });
    const kills: string[] = [];
    let lastStep = -1;
    try {
      for (let i = 0; i < KILLS; i++) {
        const sharded = i % 2;
        const child = startTs(CHILD, [dir, String(sharded)], /ready (\d+)/);
        const exited = new Promise<void>((resolve) => child.child.on('exit', () => resolve()));
        const ready = await child.line;
        expect(Number(ready[1])).toBe(lastStep + 1);
        const delay = 50 + Math.floor(random() * 350);
        await sleep(delay);
        child.child.kill('SIGKILL');
        await exited;
        const where = `kill ${i + 1} (seed ${seed}, delay ${delay} ms, sharded ${sharded})`;
        kills.push(where);

        // The state file is whole: it parses as a CheckpointState, and the reader agrees.
        const text = fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8');
        const parsed = parseText(CheckpointStateSchema, text);
        const state = await getCheckpointState(dir);
        expect(state, where).not.toBeNull();
        expect(parsed.modelCheckpointPath, where).toBe(state!.modelCheckpointPath);
        const named = state!.allModelCheckpointPaths;
        expect(named[named.length - 1], where).toBe(state!.modelCheckpointPath);
        expect(named.length, where).toBeLessThanOrEqual(3);

        // Every checkpoint it names is complete and restores to its step's values.
        for (const prefix of named) {
          const s = Number(/-(\d+)$/.exec(prefix)![1]);
          expect(await checkpointExists(prefix), `${where}: ${prefix}`).toBe(true);
          await saver.restore(sess, prefix);
          expect(await readSmall(sess), `${where}: ${prefix}`).toEqual({ a: [s, -s], step: BigInt(s), r: [s, s + 1, s + 2] });
        }
        lastStep = Number(/-(\d+)$/.exec(state!.modelCheckpointPath)![1]);
      }
    } finally {
      await sess.close();
    }
    // The children made progress between kills (each resumed after the last named checkpoint).
    expect(lastStep).toBeGreaterThan(KILLS);
  }, 240_000);
});
