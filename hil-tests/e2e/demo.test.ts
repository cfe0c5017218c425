import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, portAnswers } from '../../src/demo/index.js';
import { runKedge } from './harness/kedge.js';

describe('kedge demo --duration 20', () => {
  it('runs cloud, edge, simulators and mappers, shows telemetry rows of each device, and leaves nothing behind', async () => {
    const ports = {
      hub: await freePort(),
      api: await freePort(),
      mqtt: await freePort(),
      edgeMqtt: await freePort(),
      edgeApi: await freePort(),
    };
    const res = await runKedge(
      [
        'demo',
        '--duration',
        '20',
        '--hub-port',
        `${ports.hub}`,
        '--api-port',
        `${ports.api}`,
        '--mqtt-port',
        `${ports.mqtt}`,
        '--edge-mqtt-port',
        `${ports.edgeMqtt}`,
        '--edge-api-port',
        `${ports.edgeApi}`,
      ],
      { timeoutMs: 120_000 },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    // Not a terminal: plain lines, never escape sequences.
    expect(res.stdout).not.toContain('\x1b[');
    const rows = lines.filter((l) => /^\d{4}-\d\d-\d\dT\S+ default\/\S+ \S+=\S+/.test(l));
    expect(rows.some((l) => l.includes('default/iologik-e1214-pump-house '))).toBe(true);
    expect(rows.some((l) => l.includes('default/ua-demo-server '))).toBe(true);
    // The meter, with a real supply's voltage; before any value, the demo said it was waiting.
    const volts = rows.filter((l) => / default\/sdm120-kitchen-circuit voltage=\S+ V \(good\)$/.test(l));
    expect(volts.length).toBeGreaterThan(0);
    for (const l of volts) expect(Math.abs(Number(/voltage=(\S+)/.exec(l)![1]) - 230)).toBeLessThan(5);
    expect(lines.indexOf('Waiting for the first telemetry...')).toBeLessThan(lines.indexOf(rows[0]!));
    expect(res.stdout).toContain(`mosquitto_sub -h 127.0.0.1 -p ${ports.mqtt} -t 'kedge/#' -v`);
    expect(res.stdout).toContain(
      `The dashboard (live values, desired values, YAML, tag browser, CSV import): http://127.0.0.1:${ports.api}/`,
    );
    expect(res.stdout).toMatch(/kedge twin set default\/\S+ \S+=\S+ --wait/);
    const dir = /starting; logs in (\S+)\/logs/.exec(res.stdout)![1]!;
    expect(existsSync(dir)).toBe(false);
    expect(res.stdout).toContain('temporary files removed');
    for (const p of Object.values(ports)) expect(await portAnswers(p)).toBe(false);
  }, 150_000);

  it('when a process fails to start: its error and log, and the logs folder kept and named', async () => {
    const res = await runKedge(
      [
        'demo',
        '--duration',
        '5',
        '--hub-port',
        String(await freePort()),
        '--api-port',
        String(await freePort()),
        '--mqtt-port',
        String(await freePort()),
        '--edge-mqtt-port',
        String(await freePort()),
        '--edge-api-port',
        String(await freePort()),
      ],
      // A configuration the cloud refuses (the demo's processes inherit the environment).
      { env: { KEDGE_CLOUD__KEEPALIVE_TIMEOUT_MS: '5' } },
    );
    try {
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('KEDGE_DEMO_CHILD_FAILED: cloud exited with code 1 before it was ready');
      expect(res.stderr).toContain('KEDGE_CLOUD__KEEPALIVE_TIMEOUT_MS');
      const logs = /the logs are kept in (\S+) \(remove (\S+) when done\)/.exec(res.stdout);
      expect(logs, res.stdout).not.toBeNull();
      expect(readFileSync(join(logs![1]!, 'cloud.log'), 'utf8')).toContain('KEDGE_CONFIG_INVALID');
      rmSync(logs![2]!, { recursive: true, force: true });
    } finally {
      const dir = /starting; logs in (\S+)\/logs/.exec(res.stdout)?.[1];
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('says which flag to use when a port is busy', async () => {
    const { createServer } = await import('node:net');
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const busy = (s.address() as { port: number }).port;
    try {
      const res = await runKedge([
        'demo',
        '--duration',
        '1',
        '--mqtt-port',
        String(busy),
        '--hub-port',
        String(await freePort()),
        '--api-port',
        String(await freePort()),
      ]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`port ${busy} is busy: pass --mqtt-port <port> with a free port`);
    } finally {
      await new Promise((r) => s.close(r));
    }
  });
});
