// Child for thread-pools.test.ts: opens what the package opens for its own purposes (summary
// writers, a checkpoint reader, a Saver) and then the user's session with its own thread counts,
// runs once, and prints which threads exist. A fresh process: TF sizes its pools once per process.
//
//   thread-pools.ts helpers-first <intra> <inter>   FileWriter, FileWriterCache, Saver, reader, then Session
//   thread-pools.ts mts <intra> <inter> <dir>       a MonitoredTrainingSession with checkpoints and summaries
import fs from 'node:fs';
import path from 'node:path';
import {
  FileWriter,
  FileWriterCache,
  Graph,
  MonitoredTrainingSession,
  Saver,
  Session,
  StopAtStepHook,
  getOrCreateGlobalStep,
} from '../../../lib/index';
import { CheckpointReader } from '../../../lib/checkpoint/checkpoint-reader';
import { scalarSummary } from '../../../lib/summary/summary-builders';

/** Thread names of this process, counted (Linux: /proc/self/task/<tid>/comm). */
function threads(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of fs.readdirSync('/proc/self/task')) {
    let name = '?';
    try {
      name = fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
    } catch {
      /* the thread ended meanwhile */
    }
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

function model(): Graph {
  const g = new Graph();
  const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [] } });
  g.addOp({ type: 'Neg', name: 'y', inputs: [x] });
  return g;
}

async function main(): Promise<void> {
  const [mode, intraArg, interArg, dirArg] = process.argv.slice(2);
  const config = { intraOpParallelismThreads: Number(intraArg), interOpParallelismThreads: Number(interArg) };
  // Node starts libuv's pool on the first fs call: start it now, so that the count below sees
  // only the threads TF starts.
  await fs.promises.readFile(__filename);
  if (mode === 'helpers-first') {
    const dir = fs.mkdtempSync(path.join(dirArg, 'helpers-'));
    const w = new FileWriter(path.join(dir, 'a'));
    w.addSummary(scalarSummary('s', 1), 1);
    await w.flush();
    FileWriterCache.get(path.join(dir, 'b'));
    const g = model();
    const v = g.addOp({ type: 'VariableV2', name: 'v', attrs: { dtype: 'float32', shape: [] } });
    const saver = new Saver({ varList: { v: v.output(0) }, graph: g });
    void saver;
    new CheckpointReader(
      path.join(
        __dirname,
        '../../fixtures/linear/ckpt',
        fs
          .readdirSync(path.join(__dirname, '../../fixtures/linear/ckpt'))
          .find((f) => f.endsWith('.index'))!
          .replace(/\.index$/, ''),
      ),
    ).close();
    const before = threads();
    const s = new Session(g, { config });
    s.runSync('y:0', { 'x:0': 1 });
    console.log(JSON.stringify({ before, after: threads() }));
    await s.close();
  } else if (mode === 'mts') {
    const g = model();
    getOrCreateGlobalStep(g);
    const before = threads();
    const sess = await MonitoredTrainingSession({
      graph: g,
      checkpointDir: dirArg,
      config,
      saveSummariesSteps: 1,
      saveCheckpointSteps: 1,
      hooks: [new StopAtStepHook({ numSteps: 2 })],
    });
    await sess.run('y:0', { 'x:0': 1 });
    const after = threads();
    await sess.close();
    console.log(JSON.stringify({ before, after }));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
