import type { Readable } from 'node:stream';

/**
 * The narrow face of a container engine Edged needs (Docker Engine API: Docker itself or
 * `podman system service`). Everything Edged creates carries labels, so that after a restart it
 * finds its containers again by asking the engine, with no state of its own.
 */
export interface ContainerSpec {
  /** Unique among the engine's containers. */
  name: string;
  image: string;
  /** The entrypoint (Kubernetes `command`); the image's when absent. */
  entrypoint?: string[];
  /** The command (Kubernetes `args`); the image's when absent. */
  cmd?: string[];
  env?: Array<{ name: string; value: string }>;
  workingDir?: string;
  labels: Record<string, string>;
  /** Host network (true), or a network of its own with `ports` published. */
  hostNetwork: boolean;
  ports?: Array<{ containerPort: number; hostPort: number; protocol: 'TCP' | 'UDP' }>;
  binds?: Array<{ hostPath: string; containerPath: string; readOnly: boolean }>;
  devices?: Array<{ hostPath: string; containerPath: string }>;
  memoryBytes?: number;
  /** CPUs in billionths (Docker's NanoCpus): 0.5 CPU = 500_000_000. */
  nanoCpus?: number;
  privileged?: boolean;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  imageId?: string;
  labels: Record<string, string>;
  /** created, running, paused, restarting, removing, exited, dead (engine words). */
  state: string;
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** The engine's error starting it, if any. */
  error: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface LogOptions {
  follow: boolean;
  tailLines?: number;
}

export interface ContainerEngine {
  /** Where it is (for messages), e.g. `unix:///run/podman/podman.sock`. */
  readonly address: string;
  /** Resolves when the engine answers; rejects with KEDGE_EDGED_ENGINE_UNREACHABLE. */
  ping(): Promise<void>;
  /** Containers (running or not) that carry all these labels. */
  list(labels: Record<string, string>): Promise<ContainerInfo[]>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  /** Creates the container (pulling its image if the engine does not have it); returns its id. */
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** Resolves once the container is not running (at once if it is not); rejects when `signal` aborts. */
  wait(id: string, signal?: AbortSignal): Promise<void>;
  /** SIGTERM, SIGKILL after `graceSeconds`; a container already stopped is fine. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Removes it (stopped or not); a container already gone is fine. */
  remove(id: string): Promise<void>;
  /** The container's stdout and stderr as one text stream. */
  logs(id: string, options: LogOptions): Promise<Readable>;
}
