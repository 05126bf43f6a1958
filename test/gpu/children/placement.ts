// Runs `y:0` of a meta graph in two sessions of one process: without, then with
// logDevicePlacement (TF prints placements once per session, at its first run). argv: meta file.
import fs from 'node:fs';
import { Graph, Session, Tensor } from '../../../lib';

async function main() {
  const graph = Graph.fromMetaGraph(fs.readFileSync(process.argv[2]));
  for (const logDevicePlacement of [false, true]) {
    process.stdout.write(`--- logDevicePlacement ${logDevicePlacement}\n`);
    process.stderr.write(`--- logDevicePlacement ${logDevicePlacement}\n`);
    const s = new Session(graph, { config: { allowSoftPlacement: true, logDevicePlacement } });
    await s.run('init');
    await s.run('y:0', { 'x:0': Tensor.from([[1, 2, 3]]) });
    await s.close();
  }
}
main().catch((e) => {
  process.stdout.write(`ERROR ${e}\n`);
  process.exitCode = 1;
});
