import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import { LiteRegistry } from '../../core/metrics/index.js';
import { edgedErrors } from './errors.js';
import type { ProcessRuntime, RunningWorkload, WorkloadSpec } from './runtime.js';

/** As `kedge mapper --metrics-interval` defaults to. */
const METRICS_PUSH_MS = 15_000;

/** A mapper hosted in this process: what Edged needs of the mapper runtime (mappers/sdk). */
export interface InProcessMapper {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface InProcessMapperOptions {
  name: string;
  node: string;
  protocols: string[];
  mqttUrl: string;
  dataDir: string;
  logger: Logger;
  clock: Clock;
  metrics: Registry;
  /** What the mapper holds while the broker is away (`mapper.bufferBytes`, `mapper.offlinePollMs`). */
  buffer: { bytes: number; offlinePollMs: number };
  /** How often the mapper pushes its metrics to the edge's /metrics (as `kedge mapper --metrics-interval`). */
  metricsPushMs?: number;
}

/**
 * Creates the mapper runtime with its drivers. Handed in by the composition root (`kedge edge`),
 * so the edge never imports the mapper SDK or the drivers it hosts (layers point one way).
 */
export type InProcessMapperFactory = (options: InProcessMapperOptions) => Promise<InProcessMapper>;

/**
 * Hosts the mapper runtime inside the edge process: one Node heap instead of one per mapper,
 * which is what keeps a Raspberry Pi under its RSS budget. It still talks to the broker over MQTT
 * on loopback, so the mapper contract is the same as with child processes.
 */
export class InProcessRuntime implements ProcessRuntime {
  constructor(
    private readonly deps: {
      logger: Logger;
      clock: Clock;
      createMapper: InProcessMapperFactory;
      /** For workloads that do not say (the mapper section's defaults). */
      defaultBuffer: { bytes: number; offlinePollMs: number };
    },
  ) {}

  async run(spec: WorkloadSpec): Promise<RunningWorkload> {
    let runtime: InProcessMapper | undefined;
    try {
      runtime = await this.deps.createMapper({
        name: spec.name,
        node: spec.node,
        protocols: spec.protocols,
        mqttUrl: withPassword(spec.mqttUrl, spec.mqttPassword),
        dataDir: join(spec.dataDir, 'mappers', spec.name),
        logger: this.deps.logger.child({ mapper: spec.name }),
        clock: this.deps.clock,
        // Pushed like a child mapper's (the edge's /metrics labels them mapper=<name>); no process
        // metrics: this process's are the edge's own.
        metrics: new LiteRegistry().asRegistry(),
        metricsPushMs: METRICS_PUSH_MS,
        buffer: spec.buffer ?? this.deps.defaultBuffer,
      });
      await runtime.start();
    } catch (err) {
      throw edgedErrors.create(
        'KEDGE_EDGED_INPROCESS',
        `mapper ${spec.name} failed to start in-process: ${errorText(err)}`,
        { cause: err },
      );
    }
    const started = runtime;
    let resolveExit!: (v: { code: number | null; signal: string | null }) => void;
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => (resolveExit = r));
    return {
      pid: process.pid,
      exited,
      stop: async () => {
        await started.stop();
        resolveExit({ code: 0, signal: null });
      },
    };
  }
}

/** In this process the password may travel in the URL (no command line shows it). */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}
