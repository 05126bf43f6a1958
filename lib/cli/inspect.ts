/** `tf-monitored inspect <checkpoint>`: Python's inspect_checkpoint / tf.train.list_variables. */
import { loadCheckpoint } from '../train/checkpoint-reader';

export async function runInspect(checkpoint: string, opts: { values?: boolean }): Promise<number> {
  const reader = loadCheckpoint(checkpoint);
  try {
    for (const v of reader.variables()) {
      console.log(`${v.name} (${v.dtype}) [${v.shape.join(', ')}]`);
      if (opts.values) console.log(`  ${JSON.stringify(reader.getTensor(v.name).toArray(), (_, x) => (typeof x === 'bigint' ? x.toString() : x))}`);
    }
  } finally {
    reader.close();
  }
  return 0;
}
