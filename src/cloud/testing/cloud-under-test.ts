import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { CloudConfigSchema, type CloudConfig } from '../../core/config/index.js';
import { silentLogger } from '../../core/log/index.js';
import { createMetricsRegistry } from '../../core/metrics/index.js';
import { createCloudNode, type CloudNode } from '../node.js';

/** The defaults with every listener on 127.0.0.1 and a free port, for tests and benchmarks (plain link unless overridden). */
export function loopbackCloudConfig(dataDir: string, overrides: Partial<CloudConfig> = {}): CloudConfig {
  const base = Value.Default(CloudConfigSchema, {}) as CloudConfig;
  return {
    ...base,
    dataDir,
    hubHost: '127.0.0.1',
    hubPort: 0,
    apiHost: '127.0.0.1',
    apiPort: 0,
    // Most tests are about something else than who may connect: the plain link (tests of the
    // secure link override it, src/cloud/pki and hil-tests/e2e/join).
    insecureLink: true,
    ...overrides,
    mqtt: { ...base.mqtt, host: '127.0.0.1', port: 0, ...(overrides.mqtt ?? {}) },
    pki: { ...base.pki, joinPort: 0, ...(overrides.pki ?? {}) },
  };
}

/** A whole cloud on loopback with free ports and a temp data dir, for tests. */
export async function startTestCloud(
  overrides: Partial<CloudConfig> = {},
): Promise<{ cloud: CloudNode; dataDir: string; api: string; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kedge-cloud-test-'));
  const config = loopbackCloudConfig(dataDir, { statusIntervalMs: 50, ...overrides });
  const cloud = createCloudNode(config, { logger: silentLogger(), registry: createMetricsRegistry() });
  try {
    await cloud.start();
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    cloud,
    dataDir,
    api: `http://127.0.0.1:${cloud.ports.api}`,
    stop: async () => {
      await cloud.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
