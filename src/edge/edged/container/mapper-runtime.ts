import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { MAPPER_NODE_FLAGS } from '../../../contracts/index.js';
import { errorText } from '../../../core/errors/index.js';
import { mapperArgs, type ProcessRuntime, type RunningWorkload, type WorkloadSpec } from '../runtime.js';
import type { ContainerEngine, ContainerSpec } from './engine.js';
import { deviceMount } from './host-devices.js';
import { LABEL, containerName, specHash } from './labels.js';

/** Where the kedge image has kedge (deploy/container/), and where a mapper keeps its state in it. */
export const IMAGE_KEDGE_ENTRY = '/opt/kedge/bin/kedge.js';
const STATE_IN_CONTAINER = '/var/lib/kedge/mapper';

export interface ContainerMapperRuntimeOptions {
  engine: () => Promise<ContainerEngine>;
  node: string;
  /** The image of a workload hosting these protocols. */
  image: (protocols: string[]) => string;
  logger: Logger;
}

/**
 * Mapper workloads as containers: the kedge image running `kedge mapper`, on the host network
 * (the edge's broker listens on 127.0.0.1), its state folder bound in, the serial ports and GPIO
 * chips of its devices passed through. A container left running by a previous edge process with
 * the same spec is adopted instead of started again; one with another spec is replaced.
 */
export class ContainerMapperRuntime implements ProcessRuntime {
  constructor(private readonly options: ContainerMapperRuntimeOptions) {}

  async run(spec: WorkloadSpec): Promise<RunningWorkload> {
    const engine = await this.options.engine();
    const body = this.containerBody(spec);
    const hash = specHash(body);
    const mine = { [LABEL.node]: this.options.node, [LABEL.kind]: 'mapper', [LABEL.owner]: spec.name };
    const existing = await engine.list(mine);
    const adopt = existing.find((c) => c.running && c.labels[LABEL.hash] === hash);
    for (const c of existing) if (c !== adopt) await engine.remove(c.id);
    let id: string;
    if (adopt) {
      id = adopt.id;
      this.options.logger.info({ mapper: spec.name, container: id.slice(0, 12) }, 'mapper container adopted');
    } else {
      const full: ContainerSpec = {
        ...body,
        name: containerName(this.options.node, 'mapper', spec.name),
        labels: { ...mine, [LABEL.hash]: hash },
      };
      id = await engine.create(full);
      try {
        await engine.start(id);
      } catch (err) {
        await engine.remove(id).catch(() => undefined);
        throw err;
      }
    }
    return watch(engine, id, this.options.logger, spec.name);
  }

  async prune(keep: string[]): Promise<void> {
    const engine = await this.options.engine();
    const all = await engine.list({ [LABEL.node]: this.options.node, [LABEL.kind]: 'mapper' });
    for (const c of all) if (!keep.includes(c.labels[LABEL.owner] ?? '')) await engine.remove(c.id);
  }

  private containerBody(spec: WorkloadSpec): Omit<ContainerSpec, 'name' | 'labels'> {
    const stateDir = resolve(join(spec.dataDir, 'mappers', spec.name));
    mkdirSync(stateDir, { recursive: true });
    const mounts = [...new Set(spec.devices ?? [])].sort().map((d) => deviceMount(d, d));
    return {
      image: this.options.image(spec.protocols),
      entrypoint: ['node', ...MAPPER_NODE_FLAGS, IMAGE_KEDGE_ENTRY],
      cmd: mapperArgs(spec, STATE_IN_CONTAINER),
      env: [
        ...passEnv(['NODE_OPTIONS', 'MALLOC_ARENA_MAX', 'KEDGE_GPIO_BACKEND']),
        // The broker account's password, as a child process gets it (never on the command line).
        ...(spec.mqttPassword === undefined ? [] : [{ name: 'KEDGE_MQTT_PASSWORD', value: spec.mqttPassword }]),
      ],
      hostNetwork: true,
      binds: [
        { hostPath: stateDir, containerPath: STATE_IN_CONTAINER, readOnly: false },
        // The GPIO backend drives pins through sysfs: the export files and the pins' folders.
        ...(spec.protocols.includes('gpio') ? gpioSysfs() : []),
        ...mounts.flatMap((m) => ('bind' in m ? [m.bind] : [])),
      ],
      devices: mounts.flatMap((m) => ('device' in m ? [m.device] : [])),
    };
  }
}

/** A running container as a workload: ends when the container stops; stop removes it. */
function watch(engine: ContainerEngine, id: string, logger: Logger, name: string): RunningWorkload {
  let detached = false;
  const abort = new AbortController();
  const exited = engine.wait(id, abort.signal).then(
    async () => {
      const info = await engine.inspect(id).catch(() => undefined);
      return { code: info ? info.exitCode : null, signal: info ? null : 'removed' };
    },
    (err: unknown) => {
      if (!detached) logger.warn({ mapper: name, err: errorText(err) }, 'lost track of the mapper container');
      return { code: -1, signal: null };
    },
  );
  return {
    pid: undefined,
    exited,
    stop: async (graceMs) => {
      if (detached) return;
      await engine.stop(id, graceMs / 1000);
      await engine.remove(id);
    },
    detach: () => {
      detached = true;
      abort.abort();
    },
  };
}

function passEnv(names: string[]): Array<{ name: string; value: string }> {
  return names.filter((n) => process.env[n] !== undefined).map((n) => ({ name: n, value: process.env[n]! }));
}

function gpioSysfs(): Array<{ hostPath: string; containerPath: string; readOnly: boolean }> {
  return ['/sys/class/gpio', '/sys/devices'].map((p) => ({ hostPath: p, containerPath: p, readOnly: false }));
}
