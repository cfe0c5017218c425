import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusSim } from './sim/server.js';
import { ModbusTcpClient } from './tcp-client.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A raw TCP server on 127.0.0.1 whose answers the test writes byte by byte. */
async function rawServer(onRequest: (req: Buffer, socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('data', (req) => onRequest(req, socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

async function client(port: number, timeoutMs = 300): Promise<ModbusTcpClient> {
  const c = new ModbusTcpClient();
  c.on('error', () => undefined);
  c.setTimeout(timeoutMs);
  await c.connectTCP('127.0.0.1', { port });
  cleanups.push(() => new Promise<void>((r) => c.close(r)));
  return c;
}

/** The MBAP answer to `req` carrying `pdu` (function code first). */
function answer(req: Buffer, pdu: number[], unit = req[6]!): Buffer {
  const frame = Buffer.alloc(7 + pdu.length);
  req.copy(frame, 0, 0, 4);
  frame.writeUInt16BE(pdu.length + 1, 4);
  frame[6] = unit;
  Buffer.from(pdu).copy(frame, 7);
  return frame;
}

describe('ModbusTcpClient against the simulator', () => {
  it('reads and writes every table the transport uses', async () => {
    const sim = new ModbusSim({ units: [4] });
    cleanups.push(() => sim.stop());
    const { port } = await sim.listenTcp();
    const c = await client(port);
    c.setID(4);
    await c.writeRegisters(10, [0x1234, 0xffff, 7]);
    expect((await c.readHoldingRegisters(10, 3)).data).toEqual([0x1234, 0xffff, 7]);
    await c.writeRegister(11, 42);
    expect((await c.readHoldingRegisters(10, 3)).data).toEqual([0x1234, 42, 7]);
    await c.writeCoils(3, [true, false, true, true, false, false, false, false, true]);
    expect((await c.readCoils(3, 9)).data).toEqual([true, false, true, true, false, false, false, false, true]);
    await c.writeCoil(4, true);
    expect((await c.readCoils(3, 3)).data).toEqual([true, true, true]);
    expect((await c.readInputRegisters(0, 2)).data).toHaveLength(2);
    expect((await c.readDiscreteInputs(0, 5)).data).toHaveLength(5);
  });

  it('a Modbus exception carries its code', async () => {
    const sim = new ModbusSim({ units: [1] });
    cleanups.push(() => sim.stop());
    const { port } = await sim.listenTcp();
    const c = await client(port);
    c.setID(1);
    await expect(c.readHoldingRegisters(65530, 10)).rejects.toMatchObject({ modbusCode: 2 });
  });
});

describe('ModbusTcpClient framing', () => {
  it('an answer split over several chunks, and two frames in one chunk, are each matched', async () => {
    let n = 0;
    const port = await rawServer((req, socket) => {
      const frame = answer(req, [3, 2, 0, n++ === 0 ? 5 : 6]);
      socket.write(frame.subarray(0, 3));
      setTimeout(() => socket.write(frame.subarray(3)), 10);
    });
    const c = await client(port);
    expect((await c.readHoldingRegisters(0, 1)).data).toEqual([5]);
    expect((await c.readHoldingRegisters(0, 1)).data).toEqual([6]);
  });

  it('a late answer to a timed-out request is not taken for the next one', async () => {
    let n = 0;
    const port = await rawServer((req, socket) => {
      const value = ++n;
      setTimeout(() => socket.write(answer(req, [3, 2, 0, value])), value === 1 ? 150 : 0);
    });
    const c = await client(port, 60);
    await expect(c.readHoldingRegisters(0, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT', message: 'Timed out' });
    await new Promise((r) => setTimeout(r, 120)); // the first answer arrives now, and is dropped
    expect((await c.readHoldingRegisters(0, 1)).data).toEqual([2]);
  });

  it('a wrong unit, function or length is a bad response', async () => {
    const bad = [
      (req: Buffer) => answer(req, [3, 2, 0, 1], 9),
      (req: Buffer) => answer(req, [4, 2, 0, 1]),
      (req: Buffer) => answer(req, [3, 4, 0, 1, 0, 2]),
    ];
    let n = 0;
    const port = await rawServer((req, socket) => socket.write(bad[n++]!(req)));
    const c = await client(port);
    c.setID(1);
    await expect(c.readHoldingRegisters(0, 1)).rejects.toThrow('Unexpected data error, expected address 1 got 9');
    await expect(c.readHoldingRegisters(0, 1)).rejects.toThrow('Unexpected data error, expected function 3 got 4');
    await expect(c.readHoldingRegisters(0, 1)).rejects.toThrow(/^Data length error/);
  });

  it('a closed connection settles the request in flight and refuses the next', async () => {
    const port = await rawServer((_req, socket) => socket.destroy());
    const c = await client(port);
    let closed = false;
    c.on('close', () => (closed = true));
    await expect(c.readHoldingRegisters(0, 1)).rejects.toMatchObject({ name: 'PortNotOpenError' });
    expect(closed).toBe(true);
    expect(c.isOpen).toBe(false);
    await expect(c.readHoldingRegisters(0, 1)).rejects.toThrow('Port Not Open');
  });
});
