import type { Readable } from 'node:stream';
import { logsError, type EdgeChannels, type EdgeRequests, type LogsError } from '../../../contracts/index.js';
import type { Bus } from '../../../core/bus/index.js';
import { errorText, isKedgeError } from '../../../core/errors/index.js';
import { edgedErrors } from '../errors.js';
import type { PodManager } from './pod-manager.js';

/** Text is sent at most this often per stream, or when this much is waiting. */
const FLUSH_MS = 50;
const FLUSH_BYTES = 64 * 1024;

/**
 * Container log streams asked for through the link (`logs.start`): read from the engine, sent
 * back as `logs.data` in pieces (one link message per 50 ms or 64 KiB, not one per line), ended
 * with `logs.end` (and the error, if any). `logs.stop` ends one early.
 */
export class LogStreams {
  private readonly open = new Map<string, Readable>();
  /** Streams asked for and not open yet: a stop meanwhile must still end them. */
  private readonly opening = new Set<string>();

  constructor(
    private readonly bus: Bus<EdgeChannels, EdgeRequests>,
    private readonly pods: () => PodManager | undefined,
  ) {}

  async start(req: EdgeChannels['logs.start']): Promise<void> {
    const { streamId } = req;
    let stream: Readable;
    this.opening.add(streamId);
    try {
      const pods = this.pods();
      if (!pods)
        throw edgedErrors.create('KEDGE_EDGED_NO_ENGINE', 'this node runs no containers (no container engine)');
      stream = await pods.logs(req.namespace, req.name, req.container, {
        follow: req.follow,
        ...(req.tailLines === undefined ? {} : { tailLines: req.tailLines }),
      });
    } catch (err) {
      const e = isKedgeError(err) ? err : edgedErrors.create('KEDGE_EDGED_LOGS', errorText(err), { cause: err });
      if (this.opening.delete(streamId)) this.bus.publish('logs.end', { streamId, error: logsError(e) });
      return;
    }
    if (!this.opening.delete(streamId)) {
      stream.destroy(); // stopped while it was being opened
      return;
    }
    this.open.set(streamId, stream);
    let pending: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (size === 0) return;
      const data = Buffer.concat(pending).toString('utf8');
      pending = [];
      size = 0;
      this.bus.publish('logs.data', { streamId, data });
    };
    stream.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      size += chunk.length;
      if (size >= FLUSH_BYTES) flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    });
    const end = (error?: LogsError) => {
      if (!this.open.delete(streamId)) return;
      flush();
      this.bus.publish('logs.end', error ? { streamId, error } : { streamId });
    };
    stream.on('end', () => end());
    stream.on('close', () => end());
    stream.on('error', (err) => end(logsError(edgedErrors.create('KEDGE_EDGED_LOGS', errorText(err)))));
  }

  stop(streamId: string): void {
    this.opening.delete(streamId);
    const stream = this.open.get(streamId);
    this.open.delete(streamId);
    stream?.destroy();
  }

  closeAll(): void {
    this.opening.clear();
    for (const id of [...this.open.keys()]) this.stop(id);
  }
}
