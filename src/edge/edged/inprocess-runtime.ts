import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import { createMetricsRegistry } from '../../core/metrics/index.js';
import { edgedErrors } from './errors.js';
import type { ProcessRuntime, RunningWorkload, WorkloadSpec } from './runtime.js';

/**
 * Hosts the mapper runtime (mappers/sdk) inside the edge process: one Node heap instead of one
 * per mapper, which is what keeps a Raspberry Pi under its RSS budget. It still talks to the
 * broker over MQTT on loopback, so the mapper contract is the same as with child processes.
 */
export class InProcessRuntime implements ProcessRuntime {
  constructor(private readonly deps: { logger: Logger; clock: Clock }) {}

  async run(spec: WorkloadSpec): Promise<RunningWorkload> {
    const { MapperRuntime, mapperBuffer } = await import('../../../mappers/sdk/index.js');
    const runtime = new MapperRuntime({
      buffer: spec.buffer ?? mapperBuffer(),
      name: spec.name,
      node: spec.node,
      protocols: spec.protocols,
      mqttUrl: spec.mqttUrl,
      dataDir: join(spec.dataDir, 'mappers', spec.name),
      logger: this.deps.logger.child({ mapper: spec.name }),
      clock: this.deps.clock,
      metrics: createMetricsRegistry(),
    });
    try {
      await runtime.start();
    } catch (err) {
      throw edgedErrors.create(
        'KEDGE_EDGED_INPROCESS',
        `mapper ${spec.name} failed to start in-process: ${errorText(err)}`,
        { cause: err },
      );
    }
    let resolveExit!: (v: { code: number | null; signal: string | null }) => void;
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => (resolveExit = r));
    return {
      pid: process.pid,
      exited,
      stop: async () => {
        await runtime.stop();
        resolveExit({ code: 0, signal: null });
      },
    };
  }
}
