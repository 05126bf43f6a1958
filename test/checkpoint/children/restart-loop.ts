/**
 * Child of restart-kill.test.ts: trains through a series of restarts inside one process, each the
 * chief's real path: ChiefSessionCreator restores the latest checkpoint, CheckpointSaverHook saves
 * it again in afterCreateSession (the "re-save"), 3 steps train (saving every 2), and close()
 * saves the last step. The checkpoints are the Scaffold's default Saver's (sharded, keeps 5).
 *
 * Lines: `resave <step>` when a restart's re-save begins (the step it resumed from), `saved <step>
 * <ms> <resave|save>` when a save ends, `restored <step> <min> <max>` (train-model.ts) after the
 * session is created.
 *
 * Usage: restart-loop.ts <json> (see ChildArgs in kill-support.ts). In restart number killAt (1-based; 0: never), during
 * its re-save (killIn 'resave') or its first other save ('save'), the process SIGKILLs itself
 * delayMs after the save began (killFrom 'start') or after a `.data-*` file was renamed into the
 * directory (killFrom 'merge': TF's MergeV2Checkpoints is about to write the `.index`; inotify, via
 * fs.watch, tells), or as the save ends if that comes first.
 */
import fs from 'node:fs';
import { CheckpointSaverHook } from '../../../lib/hooks/basic/checkpoint-saver-hook';
import { MonitoredSession } from '../../../lib/train/monitored-session';
import { Scaffold } from '../../../lib/checkpoint/scaffold';
import { ChiefSessionCreator } from '../../../lib/train/session-creators';
import type { ChildArgs } from '../kill-support';
import { model } from '../train-model';

const STEPS_PER_RESTART = 3;
const CONFIG = { intraOpParallelismThreads: 1, interOpParallelismThreads: 1 };

const write = (line: string) => process.stdout.write(`${line}\n`);

/** SIGKILLs this process `ms` from now, checking the clock on every turn of the event loop (sub-ms). */
function killAfter(ms: number): void {
  const deadline = performance.now() + ms;
  const spin = () => {
    if (performance.now() >= deadline) process.kill(process.pid, 'SIGKILL');
    else setImmediate(spin);
  };
  setImmediate(spin);
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as ChildArgs;
  const graph = model(args.vars, args.nameLength);
  let restart = 0;
  let creating = false;
  let armed = false;
  let began = 0;
  const arm = () => {
    armed = true;
    if (args.killFrom === 'start') {
      killAfter(args.delayMs);
      return;
    }
    const watcher = fs.watch(args.dir, (event, file) => {
      if (event !== 'rename' || !/\.data-\d{5}-of-\d{5}$/.test(String(file))) return;
      watcher.close();
      killAfter(args.delayMs);
    });
  };
  const listener = {
    beforeSave(_s: unknown, step: number) {
      if (creating) write(`resave ${step}`);
      began = performance.now();
      if (restart === args.killAt && !armed && creating === (args.killIn === 'resave')) arm();
    },
    afterSave(_s: unknown, step: number) {
      write(`saved ${step} ${(performance.now() - began).toFixed(2)} ${creating ? 'resave' : 'save'}`);
      if (armed) process.kill(process.pid, 'SIGKILL');
    },
  };
  const scaffold = new Scaffold();
  for (restart = 1; restart <= args.restarts; restart++) {
    creating = true;
    const sess = await MonitoredSession.create({
      sessionCreator: new ChiefSessionCreator({ graph, scaffold, checkpointDir: args.dir, config: CONFIG }),
      hooks: [
        new CheckpointSaverHook({
          checkpointDir: args.dir,
          saveSteps: 2,
          scaffold,
          listeners: [listener],
          graph,
          saveGraphDef: args.saveGraphDef,
        }),
      ],
      graph,
    });
    creating = false;
    const got = await sess.run({ step: 'global_step:0', min: 'min:0', max: 'max:0' });
    write(`restored ${String(got.step!.scalar())} ${String(got.min!.scalar())} ${String(got.max!.scalar())}`);
    for (let i = 0; i < STEPS_PER_RESTART; i++) await sess.run('train');
    await sess.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  },
);
