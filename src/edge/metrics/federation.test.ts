import { afterEach, describe, expect, it } from 'vitest';
import { LiteRegistry, counter, parseExposition } from '../../core/metrics/index.js';
import { startNode, type NodeHarness } from '../testing/index.js';

async function mapperPage(requests: number): Promise<string> {
  const r = new LiteRegistry({ processMetrics: true }).asRegistry();
  counter(r, { name: 'kedge_modbus_requests_total', help: 'r', labelNames: ['outcome'] }).inc(
    { outcome: 'ok' },
    requests,
  );
  return r.metrics();
}

describe('the node’s /metrics with its mappers’', () => {
  let h: NodeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('merges each mapper’s pushed page into the edge’s families, labelled by mapper, until it is stale or offline', async () => {
    h = await startNode();
    const { bus } = h.node;
    bus.publish('mapper.metrics', { name: 'n1-modbus', text: await mapperPage(7), ts: h.clock.now() });
    bus.publish('mapper.metrics', { name: 'n1-opcua', text: await mapperPage(3), ts: h.clock.now() });
    const page = await bus.request('metrics.page', {});
    const fams = parseExposition(page);
    const names = fams.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length); // every family once
    const requests = fams.find((f) => f.name === 'kedge_modbus_requests_total')!;
    expect(requests.samples).toEqual([
      'kedge_modbus_requests_total{mapper="n1-modbus",outcome="ok"} 7',
      'kedge_modbus_requests_total{mapper="n1-opcua",outcome="ok"} 3',
    ]);
    const cpu = fams.find((f) => f.name === 'process_cpu_seconds_total')!;
    expect(cpu.samples.map((s) => s.split(' ')[0])).toEqual([
      'process_cpu_seconds_total',
      'process_cpu_seconds_total{mapper="n1-modbus"}',
      'process_cpu_seconds_total{mapper="n1-opcua"}',
    ]);
    expect(page).toContain('kedge_mapper_metrics_age_seconds{mapper="n1-modbus"} 0');

    bus.publish('mapper.status', { name: 'n1-opcua', protocols: ['opcua'], state: 'offline', ts: 1 });
    h.clock.advance(61_000);
    const later = await bus.request('metrics.page', {});
    expect(later).not.toContain('mapper="n1-opcua"');
    expect(later).not.toContain('mapper="n1-modbus"'); // older than 60 s
    // And through the edge's HTTP API.
    bus.publish('mapper.metrics', { name: 'n1-modbus', text: await mapperPage(9), ts: h.clock.now() });
    const http = await (await fetch(`http://127.0.0.1:${h.node.api.port}/metrics`)).text();
    expect(http).toContain('kedge_modbus_requests_total{mapper="n1-modbus",outcome="ok"} 9');
  });
});
