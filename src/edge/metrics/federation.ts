import type { Registry } from 'prom-client';
import type { EdgeChannels, EdgeRequests } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock } from '../../core/clock/index.js';
import { mergeFamilies, parseExposition, withLabel, writeExposition } from '../../core/metrics/index.js';
import type { Module } from '../../core/module/index.js';

export interface MetricsFederationDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  registry: Registry;
  clock: Clock;
  /** A mapper page older than this is left out (default 60 s: four missed pushes at the default 15 s). */
  maxAgeMs?: number;
}

const endpoint = { name: 'metricsfederation', group: 'metrics' };

/**
 * The node's /metrics: the edge's own metrics and, merged into the same families, each mapper's
 * (pushed over MQTT, src/cli/commands/mapper.ts `--metrics-interval`), every mapper sample
 * labelled `mapper="<name>"`. One scrape of the edge covers the node, containers and child
 * processes alike, with no port per mapper to assign, open or find.
 */
export class MetricsFederation implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private readonly pages = new Map<string, { text: string; ts: number }>();
  private undo: Array<() => void> = [];

  constructor(private readonly deps: MetricsFederationDeps) {}

  async start(): Promise<void> {
    const { bus } = this.deps;
    this.undo = [
      bus.subscribe('mapper.metrics', endpoint, (m) => void this.pages.set(m.name, { text: m.text, ts: m.ts })),
      // A mapper that went away: its last page would show values that no longer change.
      bus.subscribe('mapper.status', endpoint, (s) => {
        if (s.state === 'offline') this.pages.delete(s.name);
      }),
      bus.serve('metrics.page', endpoint, () => this.page()),
    ];
  }

  async stop(): Promise<void> {
    for (const fn of this.undo) fn();
    this.undo = [];
    this.pages.clear();
  }

  async page(): Promise<string> {
    const families = parseExposition(await this.deps.registry.metrics());
    const now = this.deps.clock.now();
    const maxAge = this.deps.maxAgeMs ?? 60_000;
    const ages: string[] = [];
    for (const [mapper, page] of [...this.pages].sort(([a], [b]) => a.localeCompare(b))) {
      const age = now - page.ts;
      if (age > maxAge) continue;
      ages.push(withLabel(`kedge_mapper_metrics_age_seconds ${age / 1000}`, 'mapper', mapper));
      const theirs = parseExposition(page.text).map((f) => ({
        ...f,
        samples: f.samples.map((s) => withLabel(s, 'mapper', mapper)),
      }));
      mergeFamilies(families, theirs);
    }
    families.push({
      name: 'kedge_mapper_metrics_age_seconds',
      help: 'Age of the metrics each mapper pushed last (a mapper whose page is older than 60 s is left out)',
      type: 'gauge',
      samples: ages,
    });
    return writeExposition(families);
  }
}
