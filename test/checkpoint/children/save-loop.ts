/**
 * Child of crash-safety.test.ts: saves the small graph's variables in a loop, as fast as it can,
 * until it is killed. Resumes after the newest checkpoint of the directory's state (recovering the
 * saver's list of checkpoints, as a restarted trainer does). Every checkpoint for step s holds
 * a = [s, -s], step = s, r = [s, s+1, s+2]. Prints `ready <step>` after its first save.
 *
 * Usage: save-loop.ts <dir> <sharded: 0|1>
 */
import path from 'node:path';
import { Saver } from '../../../lib/checkpoint/saver';
import { getCheckpointState } from '../../../lib/checkpoint/checkpoint-state';
import { newSession, setSmall, smallGraph } from '../support';

async function main(): Promise<void> {
  const [dir, shardedArg] = process.argv.slice(2);
  const graph = smallGraph();
  const sess = newSession(graph);
  const saver = new Saver({ graph, sharded: shardedArg === '1', maxToKeep: 3 });
  const state = await getCheckpointState(dir);
  let step = 0;
  if (state) {
    step = Number(/-(\d+)$/.exec(state.modelCheckpointPath)![1]) + 1;
    await saver.recoverLastCheckpoints(state.allModelCheckpointPaths);
  }
  const prefix = path.join(dir, 'model.ckpt');
  for (let first = true; ; first = false, step++) {
    await setSmall(sess, step);
    await saver.save(sess, prefix, { globalStep: step, writeMetaGraph: step % 2 === 0 });
    if (first) process.stdout.write(`ready ${step}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
