import type { Registry } from 'prom-client';
import { escapeLabelValue } from './exposition.js';

/**
 * A registry for mappers: counters, gauges and histograms with prom-client's API (the part the
 * drivers use) and its text output, without prom-client. A mapper's metrics are always collected
 * (it pushes them to the edge, src/core/metrics/push.ts), and prom-client with node:http cost a
 * mapper 2-4 MB of its 70 MB (bench/RESULTS.md "Mapper metrics"). prom-client metrics created
 * directly against this registry (`new Counter({ registers: [lite] })`) are rendered too.
 * lite.test.ts checks the output against prom-client's for the same operations.
 */

type LabelValues = Record<string, string | number>;

interface MetricValue {
  value: number;
  labels: LabelValues;
  metricName?: string;
}

/** What prom-client's `metric.get()` returns; rendered the same way for both kinds of metric. */
interface MetricSnapshot {
  name: string;
  help: string;
  type: string;
  values: MetricValue[];
}

interface Renderable {
  name: string;
  get(): MetricSnapshot | Promise<MetricSnapshot>;
}

interface Config {
  name: string;
  help: string;
  labelNames?: readonly string[];
  collect?: (this: never) => void | Promise<void>;
}

const lites = new WeakSet<object>();

export function isLite(registry: Registry): boolean {
  return lites.has(registry);
}

function keyOf(labels: LabelValues | undefined): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
}

/** `inc(5)`, `inc({ a: 'x' })`, `inc({ a: 'x' }, 5)`: prom-client's overloads. */
function args(a: LabelValues | number | undefined, b: number | undefined, dflt: number): [LabelValues, number] {
  if (typeof a === 'number') return [{}, a];
  return [a ?? {}, b ?? dflt];
}

abstract class LiteMetric implements Renderable {
  protected readonly values = new Map<string, MetricValue>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: string,
    private readonly collectFn?: () => void | Promise<void>,
  ) {}

  protected entry(labels: LabelValues): MetricValue {
    const key = keyOf(labels);
    let v = this.values.get(key);
    if (!v) this.values.set(key, (v = { value: 0, labels: { ...labels } }));
    return v;
  }

  remove(labels: LabelValues): void {
    this.values.delete(keyOf(labels));
  }

  reset(): void {
    this.values.clear();
  }

  async get(): Promise<MetricSnapshot> {
    await this.collectFn?.call(this as never);
    return { name: this.name, help: this.help, type: this.type, values: [...this.values.values()] };
  }
}

export class LiteCounter extends LiteMetric {
  constructor(c: Config) {
    super(c.name, c.help, 'counter', c.collect as (() => void) | undefined);
    if (!c.labelNames?.length) this.entry({});
  }

  inc(a?: LabelValues | number, b?: number): void {
    const [labels, n] = args(a, b, 1);
    if (n < 0) throw new Error(`counter ${this.name}: it is not possible to decrease a counter`);
    this.entry(labels).value += n;
  }

  labels(labels: LabelValues): { inc(n?: number): void } {
    return { inc: (n = 1) => this.inc(labels, n) };
  }
}

export class LiteGauge extends LiteMetric {
  constructor(c: Config) {
    super(c.name, c.help, 'gauge', c.collect as (() => void) | undefined);
    if (!c.labelNames?.length) this.entry({});
  }

  set(a: LabelValues | number, b?: number): void {
    const [labels, v] = args(a, b, 0);
    this.entry(labels).value = v;
  }

  inc(a?: LabelValues | number, b?: number): void {
    const [labels, n] = args(a, b, 1);
    this.entry(labels).value += n;
  }

  dec(a?: LabelValues | number, b?: number): void {
    const [labels, n] = args(a, b, 1);
    this.entry(labels).value -= n;
  }
}

interface Buckets {
  labels: LabelValues;
  counts: number[];
  sum: number;
  count: number;
}

export class LiteHistogram implements Renderable {
  readonly type = 'histogram';
  private readonly series = new Map<string, Buckets>();
  private readonly bounds: number[];

  constructor(private readonly c: Config & { buckets?: number[] }) {
    this.bounds = [...(c.buckets ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])].sort((x, y) => x - y);
    if (!c.labelNames?.length) this.buckets({});
  }

  get name(): string {
    return this.c.name;
  }

  private buckets(labels: LabelValues): Buckets {
    const key = keyOf(labels);
    let b = this.series.get(key);
    if (!b) this.series.set(key, (b = { labels: { ...labels }, counts: this.bounds.map(() => 0), sum: 0, count: 0 }));
    return b;
  }

  observe(a: LabelValues | number, b?: number): void {
    const [labels, v] = args(a, b, 0);
    const s = this.buckets(labels);
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) s.counts[i]! += 1;
    s.sum += v;
    s.count += 1;
  }

  startTimer(labels: LabelValues = {}): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(labels, seconds);
      return seconds;
    };
  }

  remove(labels: LabelValues): void {
    this.series.delete(keyOf(labels));
  }

  reset(): void {
    this.series.clear();
  }

  get(): MetricSnapshot {
    const values: MetricValue[] = [];
    for (const s of this.series.values()) {
      this.bounds.forEach((le, i) => {
        values.push({ value: s.counts[i]!, labels: { ...s.labels, le }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: s.count, labels: { ...s.labels, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: s.sum, labels: s.labels, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: s.labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.c.help, type: this.type, values };
  }
}

/** A number as prom-client writes it. */
function num(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function render(s: MetricSnapshot): string {
  const lines = [
    `# HELP ${s.name} ${s.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
    `# TYPE ${s.name} ${s.type}`,
  ];
  for (const v of s.values) {
    const labels = Object.entries(v.labels)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${k}="${escapeLabelValue(typeof x === 'number' ? num(x) : String(x))}"`);
    lines.push(`${v.metricName ?? s.name}${labels.length ? `{${labels.join(',')}}` : ''} ${num(v.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

export class LiteRegistry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly metricsByName = new Map<string, Renderable>();

  constructor(options: { processMetrics?: boolean } = {}) {
    lites.add(this);
    if (options.processMetrics) registerProcessMetrics(this);
  }

  registerMetric(metric: Renderable): void {
    if (this.metricsByName.has(metric.name))
      throw new Error(`A metric with the name ${metric.name} has already been registered.`);
    this.metricsByName.set(metric.name, metric);
  }

  getSingleMetric(name: string): Renderable | undefined {
    return this.metricsByName.get(name);
  }

  getMetricsAsArray(): Renderable[] {
    return [...this.metricsByName.values()];
  }

  clear(): void {
    this.metricsByName.clear();
  }

  async metrics(): Promise<string> {
    const snapshots = await Promise.all([...this.metricsByName.values()].map((m) => m.get()));
    return snapshots.map((s) => `${render(s)}`).join('\n');
  }

  /** As a prom-client Registry for the code that takes one (the helpers in detached.ts build lite metrics for it). */
  asRegistry(): Registry {
    return this as unknown as Registry;
  }
}

/**
 * Node's standard process metrics, under prom-client's names and types, read when scraped: what
 * dashboards show for any Node process (CPU, memory, heap, start time).
 */
function registerProcessMetrics(r: LiteRegistry): void {
  const start = Math.round(Date.now() / 1000 - process.uptime());
  const cpu = (pick: (u: NodeJS.CpuUsage) => number) =>
    function (this: LiteCounter) {
      this.reset();
      this.inc(pick(process.cpuUsage()) / 1e6);
    };
  const gauge = (name: string, help: string, read: () => number) =>
    r.registerMetric(
      new LiteGauge({
        name,
        help,
        collect(this: LiteGauge) {
          this.set(read());
        },
      } as Config),
    );
  const counter = (name: string, help: string, pick: (u: NodeJS.CpuUsage) => number) =>
    r.registerMetric(new LiteCounter({ name, help, collect: cpu(pick) } as Config));
  counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', (u) => u.user);
  counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', (u) => u.system);
  counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', (u) => u.user + u.system);
  gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', () => start);
  gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss());
  gauge(
    'nodejs_heap_size_total_bytes',
    'Process heap size from Node.js in bytes.',
    () => process.memoryUsage().heapTotal,
  );
  gauge(
    'nodejs_heap_size_used_bytes',
    'Process heap size used from Node.js in bytes.',
    () => process.memoryUsage().heapUsed,
  );
  gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', () => process.memoryUsage().external);
}
