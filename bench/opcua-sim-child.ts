/**
 * The OPC UA benchmark's server, in its own process so that its CPU is measured apart from the
 * driver's: `count` generated Double variables changing every `intervalMs`. Prints the endpoint as
 * one JSON line; answers 'cpu' over IPC with its process.cpuUsage(); stops on 'stop'.
 */
import { startOpcuaSim } from '../mappers/opcua/sim/index.js';

const count = Number(process.argv[2] ?? 1000);
const intervalMs = Number(process.argv[3] ?? 100);
const sim = await startOpcuaSim({ instances: [], generated: { count, intervalMs } });
process.send?.({ endpointUrl: sim.endpointUrl });
process.on('message', (msg: string) => {
  if (msg === 'cpu')
    process.send?.({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss, changes: sim.generatedChanges() });
  if (msg === 'stop') void sim.stop().then(() => process.exit(0));
});
