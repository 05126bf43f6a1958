#!/usr/bin/env node
/**
 * The `tf-monitored` command line: train an exported TF1 graph with a MonitoredTrainingSession,
 * inspect checkpoints, show which libtensorflow is used. Argument parsing by commander.
 */
import { Command, InvalidArgumentError as CliArgumentError } from 'commander';
import { runTrain } from './train';
import { runInspect } from './inspect';
import { runServer } from './server';
import { runInfo } from './info';

// Decimal digits only: Number() would take '' as 0 and '0x10' as 16.
function int(name: string, opts: { min?: number } = {}) {
  return (v: string): number => {
    const n = /^[+-]?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw new CliArgumentError(`${name} must be an integer, got '${v}'`);
    if (opts.min !== undefined && n < opts.min) throw new CliArgumentError(`${name} must be at least ${opts.min}, got '${v}'`);
    return n;
  };
}
function num(name: string) {
  return (v: string): number => {
    const n = /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new CliArgumentError(`${name} must be a non-negative number, got '${v}'`);
    return n;
  };
}
// "off" maps to null (Python's None): the hook is not created. The parser keeps 'off' and
// offToNull() maps it after parsing: commander turns a parser's null into ''.
function intOrOff(name: string) {
  return (v: string): number | 'off' => (v === 'off' ? 'off' : int(name)(v));
}
function offToNull<T extends Record<string, unknown>>(opts: T): T {
  return Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, v === 'off' ? null : v])) as T;
}

export function buildProgram(): Command {
  const program = new Command('tf-monitored').description("TensorFlow 1's MonitoredTrainingSession for Node.js").showHelpAfterError();

  program
    .command('train')
    .description('train a graph exported from Python (.meta, .pb or .pbtxt) with a MonitoredTrainingSession')
    .requiredOption('--graph <file>', 'model.meta, graph.pb or graph.pbtxt')
    .option('--checkpoint-dir <dir>', 'where checkpoints, graph.pbtxt and events go (resumes from it)')
    .option('--master <target>', "'' for in-process, grpc://host:port for a TF master", '')
    .option('--worker', 'run as a non-chief worker (default: chief)')
    .option('--train-op <name>', "operation to run each step (default: the graph's train_op collection, else 'train')")
    .option('--fetch <tensor...>', 'tensors to print each logged step (e.g. loss:0)')
    .option('--feeds <file.json>', 'JSON: one {"x:0": [...]} object, or an array of them used in turn')
    .option('--data <file.npz>', 'train on the arrays of a numpy .npz, one batch per run (with --feed and --batch-size)')
    .option(
      '--feed <tensor=array>',
      'with --data: feed a tensor from an array of the .npz (repeat: --feed x:0=images --feed y:0=labels)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--batch-size <n>', 'with --data: examples per batch', int('--batch-size', { min: 1 }))
    .option(
      '--epochs <n>',
      'with --data: passes over the data (default 1); training stops after the last one, or at --last-step',
      int('--epochs', { min: 1 }),
    )
    .option(
      '--shuffle-seed <s>',
      "with --data: shuffle each epoch (numpy's RandomState(s).permutation order); default in order",
      int('--shuffle-seed', { min: 0 }),
    )
    .option('--drop-remainder', "with --data: skip each epoch's last batch when it is short")
    .option('--last-step <n>', 'stop at this global step', int('--last-step', { min: 0 }))
    .option('--num-steps <n>', 'stop after this many steps from where training resumes', int('--num-steps', { min: 0 }))
    .option('--save-checkpoint-steps <n|off>', 'checkpoint every n steps', intOrOff('--save-checkpoint-steps'))
    .option('--save-checkpoint-secs <n|off>', 'checkpoint every n seconds (Python default 600)', intOrOff('--save-checkpoint-secs'))
    .option('--save-summaries-steps <n|off>', 'summaries every n steps (Python default 100)', intOrOff('--save-summaries-steps'))
    .option('--log-step-count-steps <n|off>', 'global_step/sec every n steps (Python default 100)', intOrOff('--log-step-count-steps'))
    .option('--quiet', 'no progress bar')
    .option('--verbose', 'INFO logs too: checkpoint restores and saves, recoveries')
    .option('--log-every <n>', 'without a progress bar, print the step every n runs (default 100)', int('--log-every', { min: 1 }))
    .option('--worker-poll-secs <s>', "how often a worker checks that the chief has initialized (Python's 30)", num('--worker-poll-secs'))
    .option(
      '--operation-timeout-ms <ms>',
      'fail a run that waits longer (a dead task) instead of waiting forever',
      int('--operation-timeout-ms', { min: 1 }),
    )
    .addHelpText(
      'after',
      '\nWith TF_CONFIG set and no --master, trains as the task TF_CONFIG names (chief or worker), on its own gRPC server.',
    )
    .action(async (opts) => {
      process.exitCode = await runTrain(offToNull(opts));
    });

  program
    .command('server')
    .description("run one task's gRPC server (a ps task) until SIGTERM/SIGINT; the task comes from TF_CONFIG or the flags")
    .option('--cluster <json>', 'the cluster as JSON: {"ps": ["host:port"], "worker": ["host:port", ...]}')
    .option('--job <name>', "this task's job (e.g. ps)")
    .option('--task <index>', "this task's index in its job (default 0)", int('--task', { min: 0 }))
    .option('--protocol <name>', "the server's protocol (default grpc, or TF_CONFIG's rpc_layer)")
    .option(
      '--stop-grace-secs <s>',
      "after SIGTERM/SIGINT keep serving this long, so the chief's final checkpoint can reach it (default 10)",
      num('--stop-grace-secs'),
    )
    .action(async (opts) => {
      // TF cannot shut a started gRPC server down: exiting is how it stops.
      process.exit(await runServer(opts));
    });

  program
    .command('inspect')
    .description('list the variables of a checkpoint (a prefix, or a directory: its latest checkpoint)')
    .argument('<checkpoint>', 'model.ckpt-N prefix or checkpoint directory')
    .option('--values', 'print the values too')
    .action(async (checkpoint, opts) => {
      process.exitCode = await runInspect(checkpoint, opts);
    });

  program
    .command('info')
    .description('which libtensorflow is loaded (version, CUDA build or not, CUDA libraries opened) and the devices a session sees')
    .option('--json', 'one JSON object instead of text')
    .action(async (opts) => {
      process.exitCode = await runInfo(opts);
    });
  return program;
}

if (require.main === module) {
  // `tf-monitored inspect ... --values | head`: the reader went away; stop quietly, as cat does.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  buildProgram()
    .parseAsync(process.argv)
    .catch((e: Error) => {
      console.error(`tf-monitored: ${e.message}`);
      process.exitCode = 1;
    });
}
