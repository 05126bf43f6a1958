// Restores a checkpoint in a process that sees no GPU (run with CUDA_VISIBLE_DEVICES=''), through
// a meta graph pinned to /device:GPU:0 (soft placement), and prints the variables' bytes as base64.
// argv: meta file, checkpoint prefix, variable names (comma-separated).
import fs from 'node:fs';
import { Graph, Saver, Session } from '../../../lib';
import { listDevices } from '../../../lib/gpu';

async function main() {
  const [meta, prefix, names] = process.argv.slice(2);
  const graph = Graph.fromMetaGraph(fs.readFileSync(meta));
  const s = new Session(graph, { config: { allowSoftPlacement: true } });
  await new Saver({ graph, saverDef: graph.saverDef }).restore(s, prefix);
  const out: Record<string, string> = {};
  for (const n of names.split(',')) {
    const t = await s.run(`${n}:0`);
    const d = t!.data as Float32Array;
    out[n] = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
  }
  const devices = (await listDevices()).map((d) => d.type);
  process.stdout.write(`${JSON.stringify({ values: out, devices })}\n`);
  await s.close();
}
main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ error: String(e) })}\n`);
  process.exitCode = 1;
});
