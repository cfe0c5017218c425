import type { EdgeChannels, EdgeNodeStatus, EdgeRequests } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock } from '../../core/clock/index.js';
import type { Module } from '../../core/module/index.js';
import { packageVersion } from '../../core/paths/index.js';
import type { OutboxStore } from '../store/index.js';

export interface NodeStatusDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  outbox: Pick<OutboxStore, 'stats'>;
  clock: Clock;
  node: string;
}

const endpoint = { name: 'nodestatus', group: 'metrics' };

/**
 * `node.status`: the node's link, outbox backlog and mapper workloads in one answer, for the
 * dashboards (the cloud's, asked over the link, and the edge's own).
 */
export class NodeStatus implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private readonly startedAt: number;
  private link: EdgeNodeStatus['link'];
  private undo: Array<() => void> = [];

  constructor(private readonly deps: NodeStatusDeps) {
    this.startedAt = deps.clock.now();
  }

  async start(): Promise<void> {
    const { bus } = this.deps;
    this.undo = [
      bus.subscribe('link.state', endpoint, (raw) => {
        const e = raw as {
          state: 'connecting' | 'connected' | 'disconnected';
          url: string;
          ts: number;
          reason?: string;
        };
        if (this.link?.state === e.state && this.link.reason === e.reason) return;
        this.link = { state: e.state, url: e.url, since: e.ts, ...(e.reason ? { reason: e.reason } : {}) };
      }),
      bus.serve('node.status', endpoint, () => this.status()),
    ];
  }

  async stop(): Promise<void> {
    for (const fn of this.undo) fn();
    this.undo = [];
  }

  async status(): Promise<EdgeNodeStatus> {
    const { bus, clock } = this.deps;
    const s = this.deps.outbox.stats();
    const [mappers, devices] = await Promise.all([
      bus.request('edged.status', {}).catch(() => []),
      bus.request('meta.devices', {}).then((d) => d.length),
    ]);
    return {
      node: this.deps.node,
      version: packageVersion(),
      startedAt: this.startedAt,
      ...(this.link ? { link: { ...this.link } } : {}),
      outbox: {
        messages: s.count,
        bytes: s.bytes,
        oldestAgeMs: s.oldestTs === undefined ? null : Math.max(0, clock.now() - s.oldestTs),
        dropped: s.dropped,
      },
      mappers,
      devices,
    };
  }
}
