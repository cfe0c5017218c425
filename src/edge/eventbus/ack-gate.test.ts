import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AckGate } from './ack-gate.js';

interface Pair {
  server: Server;
  inside: Socket;
  outside: Socket;
  received: () => string;
}

async function socketPair(): Promise<Pair> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const outside = connect(port, '127.0.0.1');
  let data = '';
  outside.on('data', (d) => (data += d.toString()));
  outside.on('error', () => undefined);
  const inside = await accepted;
  return { server, inside, outside, received: () => data };
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('AckGate', () => {
  let pair: Pair | undefined;
  afterEach(async () => {
    pair?.inside.destroy();
    pair?.outside.destroy();
    await new Promise((r) => pair?.server.close(r) ?? r(undefined));
    pair = undefined;
  });

  it('passes writes straight through while nothing is held', async () => {
    pair = await socketPair();
    const gate = new AckGate(pair.inside);
    pair.inside.write('a');
    await settle();
    expect(pair.received()).toBe('a');
    expect(gate.heldWrites).toBe(0);
  });

  it('keeps writes made after a held message until it is durable, in order', async () => {
    pair = await socketPair();
    const gate = new AckGate(pair.inside);
    const commit = deferred();
    gate.hold(commit.promise);
    pair.inside.write('ack1');
    pair.inside.write('-x');
    await settle();
    expect(pair.received()).toBe('');
    expect(gate.heldWrites).toBe(2);
    commit.resolve();
    await settle();
    expect(pair.received()).toBe('ack1-x');
    expect(gate.heldWrites).toBe(0);
  });

  it('releases only what the finished commit covers', async () => {
    pair = await socketPair();
    const gate = new AckGate(pair.inside);
    const first = deferred();
    const second = deferred();
    gate.hold(first.promise);
    pair.inside.write('A');
    gate.hold(second.promise);
    pair.inside.write('B');
    first.resolve();
    await settle();
    // 'A' was written when only the first message was pending; 'B' needs the second one too.
    expect(pair.received()).toBe('A');
    second.resolve();
    await settle();
    expect(pair.received()).toBe('AB');
  });

  it('drops what it holds and closes the connection when the commit fails', async () => {
    pair = await socketPair();
    const gate = new AckGate(pair.inside);
    const commit = deferred();
    gate.hold(commit.promise);
    pair.inside.write('never');
    const closed = new Promise((r) => pair!.outside.once('close', r));
    commit.reject(new Error('disk full'));
    await closed;
    expect(pair.received()).toBe('');
    expect(gate.heldWrites).toBe(0);
  });
});
