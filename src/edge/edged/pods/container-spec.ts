import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseBytes, parseCpus, type Pod, type PodContainer } from '../../../model/index.js';
import type { ContainerSpec } from '../container/engine.js';
import { deviceMount } from '../container/host-devices.js';

export type ContainerBody = Omit<ContainerSpec, 'name' | 'labels'>;

const DEVICE_TYPES = new Set(['CharDevice', 'BlockDevice']);

/**
 * What the engine runs for one container of a Pod. kedge has no pod network: containers use the
 * host's network unless the Pod says `hostNetwork: false`, then each gets its own network with
 * its ports published (hostPort, else containerPort). hostPath volumes of type CharDevice or
 * BlockDevice become devices; the others bind mounts. `given` are variables the edge gives every
 * container (the broker account), each unless the container sets it itself.
 */
export function containerBody(
  pod: Pod,
  c: PodContainer,
  given: ReadonlyArray<{ name: string; value: string }> = [],
): ContainerBody {
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v.hostPath]));
  const binds: NonNullable<ContainerSpec['binds']> = [];
  const devices: NonNullable<ContainerSpec['devices']> = [];
  for (const m of c.volumeMounts ?? []) {
    const host = volumes.get(m.name);
    if (!host) continue; // kedge validate refuses such a Pod
    if (DEVICE_TYPES.has(host.type ?? '')) {
      const mount = deviceMount(host.path, m.mountPath);
      if ('device' in mount) devices.push(mount.device);
      else binds.push(mount.bind);
    } else binds.push({ hostPath: host.path, containerPath: m.mountPath, readOnly: m.readOnly ?? false });
  }
  const hostNetwork = pod.spec.hostNetwork !== false;
  const memory = parseBytes(c.resources?.limits?.memory);
  const cpus = parseCpus(c.resources?.limits?.cpu);
  return {
    image: c.image,
    ...(c.command ? { entrypoint: c.command } : {}),
    ...(c.args ? { cmd: c.args } : {}),
    env: [
      ...given.filter((g) => !c.env?.some((e) => e.name === g.name)),
      ...(c.env ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })),
    ],
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    hostNetwork,
    ports: (c.ports ?? []).map((p) => ({
      containerPort: p.containerPort,
      hostPort: p.hostPort ?? p.containerPort,
      protocol: p.protocol ?? 'TCP',
    })),
    binds,
    devices,
    ...(memory ? { memoryBytes: memory } : {}),
    ...(cpus ? { nanoCpus: Math.round(cpus * 1e9) } : {}),
    ...(c.securityContext?.privileged ? { privileged: true } : {}),
  };
}

/** Kubelet's part of hostPath types: `DirectoryOrCreate` and `FileOrCreate` are made if missing. */
export function prepareHostPaths(pod: Pod): void {
  for (const v of pod.spec.volumes ?? []) {
    const { path, type } = v.hostPath;
    if (type === 'DirectoryOrCreate') mkdirSync(path, { recursive: true });
    if (type === 'FileOrCreate' && !existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, '');
    }
  }
}
