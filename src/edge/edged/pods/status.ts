import type { ContainerState, ContainerStatus, PodPhase, PodStatus } from '../../../contracts/index.js';
import type { ContainerInfo } from '../container/engine.js';

/** What a PodWorker knows of one container of its Pod. */
export interface SlotView {
  name: string;
  image: string;
  id?: string;
  info?: ContainerInfo;
  restarts: number;
  /** Set while waiting: to be created, for an error, or in back-off before a restart. */
  waiting?: { reason: string; message?: string };
  /** True when the container ended and will not be started again (restartPolicy). */
  final: boolean;
  lastTerminated?: NonNullable<ContainerState['terminated']>;
  /** The container's memory limit, if any (to say why a SIGKILL most likely came). */
  memoryBytes?: number;
}

/** How a stopped container ended, in Kubernetes' words. */
export function terminatedOf(info: ContainerInfo, memoryBytes?: number): NonNullable<ContainerState['terminated']> {
  const reason = info.oomKilled ? 'OOMKilled' : info.exitCode === 0 ? 'Completed' : 'Error';
  // podman on cgroup v1 does not report OOM kills (OOMKilled stays false): say what is likely.
  const likelyOom =
    !info.oomKilled && info.exitCode === 137 && memoryBytes
      ? `killed by SIGKILL, most likely for reaching its memory limit of ${memoryBytes} bytes`
      : undefined;
  const message = info.error || likelyOom;
  return {
    exitCode: info.exitCode,
    ...(info.exitCode > 128 && info.exitCode < 160 ? { signal: info.exitCode - 128 } : {}),
    reason,
    ...(message ? { message } : {}),
    ...(info.startedAt ? { startedAt: info.startedAt } : {}),
    ...(info.finishedAt ? { finishedAt: info.finishedAt } : {}),
    containerID: `docker://${info.id}`,
  };
}

export function describeExit(t: NonNullable<ContainerState['terminated']>): string {
  if (t.reason === 'OOMKilled') return `killed for using more memory than its limit (exit code ${t.exitCode})`;
  const how = t.signal ? `exited with code ${t.exitCode} (signal ${t.signal})` : `exited with code ${t.exitCode}`;
  return t.message ? `${how}: ${t.message}` : how;
}

function containerStatus(s: SlotView): ContainerStatus {
  const running = s.info?.running === true;
  let state: ContainerState;
  if (running) state = { running: { startedAt: s.info!.startedAt ?? new Date(0).toISOString() } };
  else if (s.waiting) state = { waiting: s.waiting };
  else if (s.info) state = { terminated: terminatedOf(s.info, s.memoryBytes) };
  else state = { waiting: { reason: 'ContainerCreating' } };
  const last = s.waiting && s.info && !running ? terminatedOf(s.info, s.memoryBytes) : s.lastTerminated;
  return {
    name: s.name,
    image: s.image,
    ...(s.info?.imageId ? { imageID: s.info.imageId } : {}),
    ...(s.id ? { containerID: `docker://${s.id}` } : {}),
    ready: running,
    started: running,
    restartCount: s.restarts,
    state,
    ...(last && !state.terminated ? { lastState: { terminated: last } } : {}),
  };
}

/** The Pod's status from its containers (Kubernetes' phase rules, without init containers). */
export function podStatus(slots: SlotView[], startTime: string): PodStatus {
  const containerStatuses = slots.map(containerStatus);
  const phase = phaseOf(slots, containerStatuses);
  const ready = containerStatuses.every((c) => c.ready);
  const waiting = containerStatuses.find((c) => c.state.waiting && c.state.waiting.reason !== 'ContainerCreating');
  const cond = (type: string, ok: boolean) => ({ type, status: ok ? ('True' as const) : ('False' as const) });
  return {
    phase,
    startTime,
    conditions: [
      cond('PodScheduled', true),
      cond('Initialized', true),
      cond('ContainersReady', ready),
      cond('Ready', ready),
    ],
    containerStatuses,
    ...(waiting?.state.waiting
      ? {
          reason: waiting.state.waiting.reason,
          message: `container ${waiting.name}: ${waiting.state.waiting.message ?? waiting.state.waiting.reason}`,
        }
      : {}),
  };
}

function phaseOf(slots: SlotView[], statuses: ContainerStatus[]): PodPhase {
  if (slots.every((s) => s.final))
    return statuses.every((c) => c.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  const neverStarted = slots.some((s) => !s.info?.startedAt && !s.lastTerminated && s.restarts === 0);
  return neverStarted ? 'Pending' : 'Running';
}
