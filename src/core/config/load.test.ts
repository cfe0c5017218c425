import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envNameOf, loadConfig } from './index.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kedge-config-')), 'kedge.yaml');
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('loadConfig', () => {
  it('runs on defaults alone', () => {
    const c = loadConfig();
    expect(c.edge.mqtt.port).toBe(1884);
    expect(c.cloud).toMatchObject({ hubPort: 10000, apiPort: 10090, mqtt: { port: 1883 } });
    expect(c.log.level).toBe('info');
  });

  it('layers file < environment < flags', () => {
    const path = file('edge:\n  node: gw-7\n  mqtt:\n    port: 2000\ncloud:\n  hubPort: 11000\n');
    const c = loadConfig({
      file: path,
      env: { KEDGE_EDGE__MQTT__PORT: '2001', KEDGE_CLOUD__API_PORT: '12000', PATH: '/bin' },
      flags: [{ path: ['edge', 'mqtt', 'port'], value: 2002, flag: '--mqtt-port' }],
    });
    expect(c.edge.node).toBe('gw-7');
    expect(c.edge.mqtt.port).toBe(2002);
    expect(c.cloud.apiPort).toBe(12000);
    expect(c.cloud.hubPort).toBe(11000);
  });

  it('names file, line, column and field for a bad value in the file', () => {
    const path = file('log:\n  level: info\nedge:\n  mqtt:\n    port: "eighteen"\n');
    const err = errorOf(() => loadConfig({ file: path }));
    expect(err.code).toBe('KEDGE_CONFIG_INVALID');
    expect(err.message).toContain(`${path}:5:11: error: edge.mqtt.port:`);
  });

  it('points at the key of an unknown field', () => {
    const path = file('edge:\n  nodee: gw-1\n');
    const err = errorOf(() => loadConfig({ file: path }));
    expect(err.message).toContain(`${path}:2:3: error:`);
    expect(err.message).toContain('nodee');
  });

  it('names the environment variable or flag that set a bad value', () => {
    expect(errorOf(() => loadConfig({ env: { KEDGE_CLOUD__HUB_PORT: '70000' } })).message).toContain(
      'environment KEDGE_CLOUD__HUB_PORT: cloud.hubPort',
    );
    expect(
      errorOf(() => loadConfig({ flags: [{ path: ['edge', 'node'], value: 'Bad Name', flag: '--node' }] })).message,
    ).toContain('--node:');
  });

  it('says in words what a node name, a cloud URL, a broker URL and a port are (no regular expressions)', () => {
    const message = errorOf(() =>
      loadConfig({
        flags: [
          { path: ['edge', 'node'], value: 'Line_3', flag: '--node' },
          { path: ['edge', 'cloud'], value: 'http://cloud:10000', flag: '--cloud' },
          { path: ['edge', 'mqtt', 'url'], value: 'tcp://b:1883', flag: '--mqtt-url' },
          { path: ['edge', 'apiPort'], value: 70000, flag: '--api-port' },
        ],
      }),
    ).message;
    expect(message).toContain(
      `--node: "Line_3" is not a node name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
    );
    expect(message).toContain(
      '--cloud: "http://cloud:10000" is not a CloudHub URL, or several separated by commas: each starts with ws:// or wss://, e.g. ws://cloud.example:10000 or ws://a:10000,ws://b:10000',
    );
    expect(message).toContain(
      '--mqtt-url: "tcp://b:1883" is not an MQTT broker URL: it starts with mqtt:// or mqtts://',
    );
    expect(message).toContain('--api-port: 70000 is not a port number (1-65535)');
    expect(message).not.toMatch(/Expected|\^|\[a-z/);
  });

  it('names the environment variable of a field', () => {
    expect(envNameOf(['cloud', 'apiPort'])).toBe('KEDGE_CLOUD__API_PORT');
    expect(envNameOf(['edge', 'mqtt', 'port'])).toBe('KEDGE_EDGE__MQTT__PORT');
    const c = loadConfig({ env: { [envNameOf(['edge', 'servicebusPort'])]: '9061' } });
    expect(c.edge.servicebusPort).toBe(9061);
  });

  it('reports YAML syntax errors and unreadable files clearly', () => {
    const path = file('edge:\n  node: [unclosed\n');
    expect(errorOf(() => loadConfig({ file: path })).message).toMatch(
      new RegExp(`${path}:\\d+:\\d+: error: YAML syntax`),
    );
    expect(errorOf(() => loadConfig({ file: '/nonexistent/kedge.yaml' })).code).toBe('KEDGE_CONFIG_UNREADABLE');
  });
});
