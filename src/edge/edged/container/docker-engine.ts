import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { errorText } from '../../../core/errors/index.js';
import { edgedErrors } from '../errors.js';
import type { ContainerEngine, ContainerInfo, ContainerSpec, LogOptions } from './engine.js';

/**
 * The Docker Engine API through dockerode, against Docker's socket or podman's
 * (`podman system service`). dockerode loads only when a container runtime is used.
 */
export class DockerEngine implements ContainerEngine {
  readonly address: string;

  private constructor(
    private readonly docker: Docker,
    socketPath: string,
  ) {
    this.address = `unix://${socketPath}`;
  }

  static async connect(socketPath: string): Promise<DockerEngine> {
    const { default: DockerCtor } = await import('dockerode');
    return new DockerEngine(new DockerCtor({ socketPath }), socketPath);
  }

  async ping(): Promise<void> {
    await this.call('ping', () => this.docker.ping());
  }

  async list(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const items = await this.call('list containers', () =>
      this.docker.listContainers({ all: true, filters: JSON.stringify({ label }) }),
    );
    const out: ContainerInfo[] = [];
    // The list's fields differ between Docker and podman; inspect says the same on both.
    for (const c of items) {
      const info = await this.inspect(c.Id);
      if (info) out.push(info);
    }
    return out;
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    try {
      const c = await this.docker.getContainer(id).inspect();
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        image: c.Config.Image,
        imageId: c.Image,
        labels: c.Config.Labels ?? {},
        state: c.State.Status,
        running: c.State.Running,
        exitCode: c.State.ExitCode,
        oomKilled: c.State.OOMKilled,
        error: c.State.Error ?? '',
        ...(validTime(c.State.StartedAt) ? { startedAt: c.State.StartedAt } : {}),
        ...(validTime(c.State.FinishedAt) ? { finishedAt: c.State.FinishedAt } : {}),
      };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.wrap(`inspect container ${id}`, err);
    }
  }

  async create(spec: ContainerSpec): Promise<string> {
    const options = createOptions(spec);
    try {
      return (await this.docker.createContainer(options)).id;
    } catch (err) {
      if (statusOf(err) !== 404 || !/image/i.test(errorText(err)))
        throw this.wrap(`create container ${spec.name}`, err);
    }
    await this.pull(spec.image);
    return (await this.call(`create container ${spec.name}`, () => this.docker.createContainer(options))).id;
  }

  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusOf(err) === 304) return; // already running
      throw this.wrap(`start container ${id}`, err);
    }
  }

  async wait(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.docker.getContainer(id).wait({ condition: 'not-running', ...(signal ? { abortSignal: signal } : {}) });
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw this.wrap(`wait for container ${id}`, err);
    }
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (err) {
      const status = statusOf(err);
      if (status === 304 || status === 404) return;
      throw this.wrap(`stop container ${id}`, err);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw this.wrap(`remove container ${id}`, err);
    }
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    const container = this.docker.getContainer(id);
    const common = {
      stdout: true,
      stderr: true,
      ...(options.tailLines === undefined ? {} : { tail: options.tailLines }),
    };
    const out = new PassThrough();
    if (options.follow) {
      const raw = await this.call(`logs of ${id}`, () => container.logs({ ...common, follow: true }));
      this.docker.modem.demuxStream(raw, out, out);
      raw.on('end', () => out.end());
      raw.on('error', (err: Error) => out.destroy(err));
      out.on('close', () => (raw as Readable).destroy?.());
    } else {
      const raw = await this.call(`logs of ${id}`, () => container.logs({ ...common, follow: false }));
      out.end(demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))));
    }
    return out;
  }

  private async pull(image: string): Promise<void> {
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      );
    } catch (err) {
      throw edgedErrors.create(
        'KEDGE_EDGED_IMAGE',
        `image ${image} is not on this node and could not be pulled: ${errorText(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.wrap(what, err);
    }
  }

  private wrap(what: string, err: unknown) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES')
      return edgedErrors.create(
        'KEDGE_EDGED_ENGINE_UNREACHABLE',
        `container engine at ${this.address} not reachable (${code}) to ${what}`,
        { cause: err },
      );
    return edgedErrors.create('KEDGE_EDGED_ENGINE', `${what} at ${this.address}: ${engineMessage(err)}`, {
      cause: err,
    });
  }
}

function createOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostPort: string }>> = {};
  if (!spec.hostNetwork)
    for (const p of spec.ports ?? []) {
      const key = `${p.containerPort}/${p.protocol.toLowerCase()}`;
      exposed[key] = {};
      bindings[key] = [{ HostPort: String(p.hostPort) }];
    }
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    Env: (spec.env ?? []).map((e) => `${e.name}=${e.value}`),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    Labels: spec.labels,
    ExposedPorts: exposed,
    HostConfig: {
      NetworkMode: spec.hostNetwork ? 'host' : 'bridge',
      PortBindings: bindings,
      Binds: (spec.binds ?? []).map((b) => `${b.hostPath}:${b.containerPath}${b.readOnly ? ':ro' : ''}`),
      Devices: (spec.devices ?? []).map((d) => ({
        PathOnHost: d.hostPath,
        PathInContainer: d.containerPath,
        CgroupPermissions: 'rwm',
      })),
      ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
      ...(spec.nanoCpus ? { NanoCpus: spec.nanoCpus } : {}),
      ...(spec.privileged ? { Privileged: true } : {}),
    },
  };
}

/** Docker's multiplexed log format: 8-byte frame headers (stream, 0, 0, 0, size32) before each chunk. */
export function demux(buf: Buffer): Buffer {
  if (buf.length < 8 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0 || (buf[0]! > 2 && buf[0] !== 0)) return buf;
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const size = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts);
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: string; cause?: string } }).json;
  return json?.message ?? json?.cause ?? errorText(err);
}

function validTime(t: string | undefined): boolean {
  return !!t && !t.startsWith('0001-');
}
