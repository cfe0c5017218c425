import type { Pod } from './pod.js';
import { parseBytes, parseCpus } from './pod.js';
import type { SchemaProblem } from './schema-check.js';

/**
 * What the Pod schema cannot say: unique container names, mounts that name a volume, quantities
 * that parse, a memory limit a container can start with.
 */
export function checkPodRules(pod: Pod): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const err = (path: Array<string | number>, message: string) =>
    problems.push({ path, message, severity: 'error', at: 'value' });
  const volumes = new Set((pod.spec.volumes ?? []).map((v) => v.name));
  const seen = new Set<string>();
  pod.spec.containers.forEach((c, i) => {
    const at = ['spec', 'containers', i];
    if (seen.has(c.name)) err([...at, 'name'], `container name ${c.name} is used twice in this Pod`);
    seen.add(c.name);
    (c.volumeMounts ?? []).forEach((m, j) => {
      if (!volumes.has(m.name))
        err(
          [...at, 'volumeMounts', j, 'name'],
          `volume ${m.name} is not in spec.volumes (${[...volumes].join(', ') || 'none'})`,
        );
    });
    const limits = c.resources?.limits;
    if (limits?.memory !== undefined) {
      const bytes = parseBytes(limits.memory);
      if (bytes === undefined || bytes < 6 * 1024 * 1024)
        err(
          [...at, 'resources', 'limits', 'memory'],
          `memory limit ${limits.memory}: at least 6Mi (the runtime's minimum)`,
        );
    }
    if (limits?.cpu !== undefined) {
      const cpus = parseCpus(limits.cpu);
      if (cpus === undefined || cpus < 0.01)
        err([...at, 'resources', 'limits', 'cpu'], `cpu limit ${limits.cpu}: write CPUs like 500m or 2 (at least 10m)`);
    }
  });
  return problems;
}
