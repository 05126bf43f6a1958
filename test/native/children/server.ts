// A TF gRPC server in its own Node process: prints its target, serves until stdin closes.
import { Server } from '../../../lib/core/server';

const port = Number(process.argv[2]);
const server = new Server({ cluster: { local: [`127.0.0.1:${port}`] }, jobName: 'local', taskIndex: 0 });
process.stdout.write(`TARGET ${server.target}\n`);
process.stdin.on('end', async () => {
  await server.close();
  process.stdout.write('CLOSED\n');
  process.exit(0);
});
process.stdin.resume();
