import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { edgeTopics, type MapperDeviceSet, type MapperStatusContent } from '../../contracts/index.js';
import { device, model, startNode, type NodeHarness } from '../testing/index.js';
import { LogBudget, RotatingLog } from './rotating-log.js';
import { ChildProcessRuntime, type ProcessRuntime, type RunningWorkload, type WorkloadSpec } from './runtime.js';

/** A runtime whose workloads end when the test says so. */
class FakeRuntime implements ProcessRuntime {
  readonly runs: Array<{ spec: WorkloadSpec; exit: (code: number) => void; stopped: boolean }> = [];
  async run(spec: WorkloadSpec): Promise<RunningWorkload> {
    let exit!: (v: { code: number | null; signal: string | null }) => void;
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => (exit = r));
    const entry = { spec, exit: (code: number) => exit({ code, signal: null }), stopped: false };
    this.runs.push(entry);
    return {
      pid: 1000 + this.runs.length,
      exited,
      stop: async () => {
        entry.stopped = true;
        exit({ code: 0, signal: 'SIGTERM' });
      },
    };
  }
}

const props = [{ name: 'temp', type: 'FLOAT', accessMode: 'ReadOnly' }];

function statuses(h: NodeHarness): MapperStatusContent[] {
  return h.node.store.outbox
    .peek(1000, 1 << 30)
    .filter((e) => e.kind === 'status')
    .map((e) => e.message.content as MapperStatusContent);
}

describe('Edged', () => {
  let h: NodeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('publishes the retained device set per protocol with increasing versions, also in mode none', async () => {
    h = await startNode({ mappers: 'none' });
    await h.node.bus.request('meta.apply', { documents: [model(props), device('d1', [{ name: 'temp' }])] });
    const sets = h.published.filter((p) => p.topic === edgeTopics.mapperDevices('modbus'));
    expect(sets.every((s) => s.retain === true)).toBe(true);
    const last = sets.at(-1)!.payload as MapperDeviceSet;
    expect(last.devices.map((d) => d.id)).toEqual(['default/d1']);
    await h.node.bus.request('meta.delete', { kind: 'Device', namespace: 'default', name: 'd1' });
    const after = h.published.filter((p) => p.topic === edgeTopics.mapperDevices('modbus')).at(-1)!
      .payload as MapperDeviceSet;
    expect(after.devices).toEqual([]);
    expect(after.version).toBeGreaterThan(last.version);
    await h.node.bus.request('meta.apply', { documents: [device('d1', [{ name: 'temp' }])] });
    const beforeRestart = h.published.filter((p) => p.topic === edgeTopics.mapperDevices('modbus')).at(-1)!
      .payload as MapperDeviceSet;
    h = await h.restart();
    const restarted = h.published.filter((p) => p.topic === edgeTopics.mapperDevices('modbus')).at(-1)!
      .payload as MapperDeviceSet;
    expect(restarted.version).toBeGreaterThan(beforeRestart.version);
    expect(restarted.devices.map((d) => d.id)).toEqual(['default/d1']);
  });

  it('runs one mapper per protocol in use, restarts it with exponential back-off, and reports pod-like status', async () => {
    const runtime = new FakeRuntime();
    h = await startWithRuntime(runtime);
    await h.node.bus.request('meta.apply', { documents: [model(props), device('d1', [{ name: 'temp' }])] });
    await h.settle(0);
    expect(runtime.runs.map((r) => r.spec.name)).toEqual(['n1-modbus']);
    expect(runtime.runs[0]!.spec.protocols).toEqual(['modbus']);
    h.node.bus.publish('mapper.status', { name: 'n1-modbus', protocols: ['modbus'], state: 'online', ts: 1 });
    expect((await h.node.bus.request('edged.status', {}))[0]).toMatchObject({
      phase: 'Running',
      ready: true,
      restarts: 0,
    });
    runtime.runs[0]!.exit(1);
    await h.settle(0);
    expect((await h.node.bus.request('edged.status', {}))[0]).toMatchObject({
      phase: 'CrashLoopBackOff',
      ready: false,
      restarts: 1,
    });
    await h.settle(1000);
    expect(runtime.runs).toHaveLength(2);
    runtime.runs[1]!.exit(1);
    await h.settle(0);
    await h.settle(1000);
    expect(runtime.runs).toHaveLength(2);
    await h.settle(1000);
    expect(runtime.runs).toHaveLength(3);
    await h.settle(60);
    const phases = statuses(h).map((s) => s.phase);
    expect(phases).toContain('CrashLoopBackOff');
    expect(statuses(h).at(-1)?.restarts).toBe(2);
  });

  it('follows the mapper set from the cloud and stops workloads no longer wanted', async () => {
    const runtime = new FakeRuntime();
    h = await startWithRuntime(runtime);
    h.node.bus.publish('mapperset.changed', { mappers: [{ name: 'all', protocols: ['modbus', 'serial'] }] });
    await h.settle(0);
    expect(runtime.runs.map((r) => [r.spec.name, r.spec.protocols.join(',')])).toEqual([['all', 'modbus,serial']]);
    h.node.bus.publish('mapperset.changed', { mappers: [] });
    await h.settle(0);
    expect(runtime.runs[0]!.stopped).toBe(true);
  });

  it('runs only the cloud mapper set when it arrives while the workloads for the devices are being started', async () => {
    const runtime = new FakeRuntime();
    h = await startWithRuntime(runtime);
    // The demo's start: the cloud's mapper set comes in the same burst as the devices (before the
    // reconcile for the devices has started its workloads).
    const off = h.node.bus.subscribe('devices.changed', { name: 'test', group: 'test' }, () => {
      h!.node.bus.publish('mapperset.changed', { mappers: [{ name: 'mapper-modbus', protocols: ['modbus'] }] });
    });
    await h.node.bus.request('meta.apply', { documents: [model(props), device('d1', [{ name: 'temp' }])] });
    off();
    await h.settle(0);
    const running = runtime.runs.filter((r) => !r.stopped).map((r) => r.spec.name);
    expect(running).toEqual(['mapper-modbus']);
  });
});

function startWithRuntime(runtime: ProcessRuntime): Promise<NodeHarness> {
  return startNode({ mappers: 'process' }, undefined, undefined, { processRuntime: runtime });
}

describe('ChildProcessRuntime', () => {
  it('runs the mapper command with the workload arguments, logs its output to a file, and removes its pid file on exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-edged-'));
    try {
      const script = join(dir, 'fake-kedge.mjs');
      writeFileSync(script, "console.log('args', process.argv.slice(2).join(' ')); console.error('oops');\n");
      const runtime = new ChildProcessRuntime([process.execPath, script]);
      const w = await runtime.run({
        name: 'm1',
        protocols: ['modbus'],
        node: 'n1',
        mqttUrl: 'mqtt://127.0.0.1:1',
        dataDir: dir,
      });
      expect(w.pid).toBeGreaterThan(0);
      expect(await w.exited).toEqual({ code: 0, signal: null });
      const log = readFileSync(join(dir, 'logs', 'mapper-m1.log'), 'utf8');
      expect(log).toContain('args mapper --protocol modbus --mqtt-url mqtt://127.0.0.1:1 --node n1 --name m1');
      expect(log).toContain('oops');
      expect(readdirSync(join(dir, 'mappers', 'm1'))).not.toContain('mapper.pid');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops an orphan mapper left by a killed edge with SIGTERM (pid file + matching command line), SIGKILL if it lingers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-edged-'));
    try {
      const polite = join(dir, 'polite.mjs');
      writeFileSync(polite, 'setInterval(() => {}, 1000);\n');
      const stubborn = join(dir, 'stubborn.mjs');
      const ready = join(dir, 'stubborn-ready');
      writeFileSync(
        stubborn,
        `import { writeFileSync } from 'node:fs'; process.on('SIGTERM', () => {}); writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000);\n`,
      );
      const spec = { protocols: ['gpio'], node: 'n1', mqttUrl: 'mqtt://x:1', dataDir: dir };
      const a = await new ChildProcessRuntime([process.execPath, polite]).run({ name: 'm2', ...spec });
      const b = await new ChildProcessRuntime([process.execPath, stubborn]).run({ name: 'm3', ...spec });
      while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 20)); // the stubborn one has its handler
      await new ChildProcessRuntime([process.execPath, polite]).cleanupOrphans(dir, 500);
      expect((await a.exited).signal).toBe('SIGTERM');
      expect((await b.exited).signal).toBe('SIGKILL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RotatingLog', () => {
  it('rotates by size and keeps N old files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-log-'));
    try {
      const log = new RotatingLog(join(dir, 'a.log'), 10, 2);
      for (let i = 0; i < 5; i++) log.write(`line-${i}-xx\n`);
      log.close();
      expect(readdirSync(dir).sort()).toEqual(['a.log', 'a.log.1', 'a.log.2']);
      expect(readFileSync(join(dir, 'a.log'), 'utf8')).toBe('line-4-xx\n');
      expect(readFileSync(join(dir, 'a.log.2'), 'utf8')).toBe('line-2-xx\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps all logs of a folder within their budget, deleting the oldest rotated files of any log first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-log-'));
    try {
      const registry = new Registry();
      const budget = new LogBudget(dir, 64 * 1024, undefined, registry); // 8 KiB per file
      const a = new RotatingLog(join(dir, 'a.log'), 5 << 20, 3, budget);
      const b = new RotatingLog(join(dir, 'b.log'), 5 << 20, 3, budget);
      const line = `${'x'.repeat(99)}\n`;
      for (let i = 0; i < 2000; i++) (i % 2 ? a : b).write(line); // 200 KB into a 64 KiB budget
      a.close();
      b.close();
      const total = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      expect(total).toBeLessThanOrEqual(64 * 1024);
      expect(readdirSync(dir)).toContain('a.log');
      expect(readdirSync(dir)).toContain('b.log');
      expect(statSync(join(dir, 'a.log')).size).toBeGreaterThan(0);
      // Nothing is dropped while rotated files are left to delete.
      expect(budget.droppedBytes).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never throws: a failing write drops the line, counts it, and the next write tries again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-log-'));
    try {
      const registry = new Registry();
      const budget = new LogBudget(dir, 64 * 1024, undefined, registry);
      // The log's path is a folder: every open fails, like a write on a full disk.
      mkdirSync(join(dir, 'c.log'));
      const c = new RotatingLog(join(dir, 'c.log'), 5 << 20, 3, budget);
      expect(() => c.write('one\n')).not.toThrow();
      expect(() => c.write('two\n')).not.toThrow();
      expect(budget.droppedBytes).toBe(8);
      expect(await registry.metrics()).toMatch(/kedge_edged_log_dropped_bytes_total\{cause="error"\} 8/);
      rmSync(join(dir, 'c.log'), { recursive: true });
      c.write('three\n');
      c.close();
      expect(readFileSync(join(dir, 'c.log'), 'utf8')).toBe('three\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
