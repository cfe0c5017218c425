import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaDriver } from '../../mappers/opcua/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { opcuaDevice, property, recorder, type Recorder } from './harness.js';

const root = packageRoot();

function runSim(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'hil-tests/opcua/sim-cli-entry.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

let rec: Recorder;
beforeAll(async () => {
  rec = await recorder();
});
afterAll(async () => {
  await rec?.cleanup();
});

describe('kedge sim opcua', () => {
  it('serves a device model on the printed endpoint and stops cleanly on SIGTERM', async () => {
    const run = runSim([
      'opcua',
      '--model',
      join(root, 'device-models/unified-automation-uacppserver.yaml'),
      '--port',
      '0',
      '--interval',
      '100',
    ]);
    try {
      await rec.waitFor('the endpoint line', () => /opc\.tcp:\/\/127\.0\.0\.1:\d+/.test(run.out()), 30_000);
      const url = /opc\.tcp:\/\/127\.0\.0\.1:\d+/.exec(run.out())![0];
      expect(run.out()).toContain('ns=3;s=AirConditioner_1.Temperature');
      const driver = new OpcuaDriver(rec.ctx);
      await driver.start();
      try {
        await driver.addDevice(
          opcuaDevice('ac', { url }, [property('temp', 'DOUBLE', 'ns=3;s=AirConditioner_1.Temperature')]),
        );
        await rec.waitFor('a temperature', () =>
          rec.readingsOf('default/ac', 'temp').some((r) => r.quality === 'good'),
        );
      } finally {
        await driver.stop();
      }
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('fails with a clear message without --model or --generate', async () => {
    const run = runSim(['opcua', '--port', '0']);
    expect(await run.exited).toBe(1);
    expect(run.err()).toMatch(/kedge sim opcua: give --model <files\.\.\.> and\/or --generate <n>/);
  });

  it('reports model errors with their position', async () => {
    const run = runSim(['opcua', '--model', join(root, 'hil-tests/opcua/no-such-file.yaml'), '--port', '0']);
    expect(await run.exited).toBe(1);
    expect(run.err()).toMatch(
      /KEDGE_OPCUA_SIM_MODEL: the model files have errors:\n.*no-such-file\.yaml:1:1: error: no such file/,
    );
  });
});
