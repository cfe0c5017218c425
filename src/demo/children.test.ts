import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChildSet } from './children.js';
import { assertPortFree, freePort, portAnswers } from './ports.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kedge-demo-children-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const node = { command: process.execPath, prefix: ['-e'] };

describe('ChildSet', () => {
  it('waits until a child is ready, logs its output, and stops it with SIGTERM', async () => {
    const port = await freePort();
    const set = new ChildSet(node, dir);
    const script = `const s=require('net').createServer().listen(${port},'127.0.0.1',()=>console.log('up'));process.on('SIGTERM',()=>{console.log('bye');s.close();process.exit(0)})`;
    const child = await set.start('listener', [script], { ready: () => portAnswers(port) });
    expect(await portAnswers(port)).toBe(true);
    await set.stopAll();
    expect(child.exited).toBe(true);
    expect(await portAnswers(port)).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(child.logFile, 'utf8')).toContain('up\nbye');
  });

  it('fails with the end of the log when a child exits before it is ready', async () => {
    const set = new ChildSet(node, dir);
    const err = await set
      .start('broken', ["console.error('no device file'); process.exit(3)"], { ready: async () => false })
      .catch((e: Error) => e);
    expect((err as Error).message).toContain('broken exited with code 3 before it was ready');
    expect((err as Error).message).toContain('no device file');
    await set.stopAll();
  });

  it('names what the readiness check last said when a child is never ready', async () => {
    const set = new ChildSet(node, dir);
    let checks = 0;
    const err = await set
      .start('silent', ['setInterval(()=>{},1000)'], {
        ready: async () => {
          checks++;
          throw new Error('GET http://127.0.0.1:1/healthz: connection refused');
        },
        readyTimeoutMs: 300,
      })
      .catch((e: Error) => e);
    expect(checks).toBeGreaterThan(0);
    expect((err as Error).message).toContain(
      'silent not ready after 300 ms (last readiness check: GET http://127.0.0.1:1/healthz: connection refused)',
    );
    await set.stopAll();
  });

  it('kills a child that ignores SIGTERM after the grace period', async () => {
    const set = new ChildSet(node, dir);
    // Ready once it printed: its SIGTERM handler is installed by then.
    const logged = async () =>
      existsSync(join(dir, 'ignores-term.log')) && readFileSync(join(dir, 'ignores-term.log'), 'utf8').includes('x');
    const child = await set.start(
      'ignores-term',
      ["process.on('SIGTERM',()=>{});console.log('x');setInterval(()=>{},1000)"],
      { ready: logged },
    );
    await set.stopAll(300);
    expect(child.exited).toBe(true);
    expect(child.process.signalCode).toBe('SIGKILL');
  });

  it('reports a child that dies later', async () => {
    const deaths: string[] = [];
    const set = new ChildSet(node, dir, (c, code) => deaths.push(`${c.name}:${code}`));
    await set.start('short', ['setTimeout(()=>process.exit(4),100)']);
    const end = Date.now() + 10_000;
    while (deaths.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(deaths).toEqual(['short:4']);
    await set.stopAll();
  });
});

describe('ports', () => {
  it('names the flag to use when a port is busy', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const { port } = s.address() as { port: number };
    try {
      await expect(assertPortFree(port, '--api-port', '127.0.0.1')).rejects.toThrow(
        `port ${port} is busy: pass --api-port <port> with a free port`,
      );
    } finally {
      await new Promise((r) => s.close(r));
    }
    await expect(assertPortFree(port, '--api-port', '127.0.0.1')).resolves.toBeUndefined();
  });
});
