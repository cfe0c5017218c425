import type { CloudChannels, CloudRequests } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock } from '../../core/clock/index.js';
import type { Module } from '../../core/module/index.js';
import { LiveFeed } from '../../dashboard/index.js';
import { cloudFeedSource } from './source.js';

export interface CloudDashboardOptions {
  bus: Bus<CloudChannels, CloudRequests>;
  clock: Clock;
}

/** The dashboard's live feed in the cloud; the API streams it to browsers (`GET /api/v1/events`). */
export class CloudDashboard implements Module {
  readonly name = 'dashboard';
  readonly group = 'dashboard';
  private feed: LiveFeed | undefined;
  private unserve: (() => void) | undefined;

  constructor(private readonly options: CloudDashboardOptions) {}

  async start(): Promise<void> {
    const { bus, clock } = this.options;
    const feed = new LiveFeed({ source: cloudFeedSource(bus), clock });
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
