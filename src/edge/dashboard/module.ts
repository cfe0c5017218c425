import type { EdgeChannels, EdgeRequests } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock } from '../../core/clock/index.js';
import type { Module } from '../../core/module/index.js';
import { LiveFeed } from '../../dashboard/index.js';
import { edgeFeedSource } from './source.js';

/** The dashboard's live feed on the edge (its local API serves the page for a standalone gateway). */
export class EdgeDashboard implements Module {
  readonly name = 'dashboard';
  readonly group = 'dashboard';
  private feed: LiveFeed | undefined;
  private unserve: (() => void) | undefined;

  constructor(private readonly deps: { bus: Bus<EdgeChannels, EdgeRequests>; clock: Clock }) {}

  async start(): Promise<void> {
    const { bus, clock } = this.deps;
    const feed = new LiveFeed({ source: edgeFeedSource(bus), clock });
    this.feed = feed;
    this.unserve = bus.serve('dashboard.attach', { name: this.name, group: this.group }, async ({ client }) => ({
      detach: await feed.attach(client),
    }));
  }

  async stop(): Promise<void> {
    this.unserve?.();
    this.unserve = undefined;
    this.feed?.close();
    this.feed = undefined;
  }
}
