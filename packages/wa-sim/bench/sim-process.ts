// The simulator under measurement, alone in its process so its memory and CPU can be read apart from the clients.
import { startSimulator } from '../src/index.ts';

const sim = await startSimulator({ media: false });
process.send?.({
  type: 'ready',
  url: sim.url,
  controlUrl: sim.controlUrl,
  rootPublicKey: sim.rootPublicKey.toString('base64'),
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'measure') {
    process.send?.({
      type: 'measure',
      memory: process.memoryUsage(),
      cpu: process.cpuUsage(),
      stats: sim.stats(),
    });
  }
  if (message.type === 'stop') void sim.close().then(() => process.exit(0));
});
