import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModbusSim } from './sim/server.js';
import { withCrc } from './sim/crc16.js';
import { ModbusTransport } from './transport.js';

const unhandled: unknown[] = [];
const record = (e: unknown) => unhandled.push(e);
beforeAll(() => {
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
});
afterAll(() => {
  process.off('unhandledRejection', record);
  process.off('uncaughtException', record);
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  expect(unhandled).toEqual([]);
});

const op = { unit: 3, fc: 3, address: 40, count: 2 };
const transport = () => new ModbusTransport({ mode: 'TCP', host: '127.0.0.1', port: 1, timeoutMs: 500 });

describe('error mapping', () => {
  it('a Modbus exception names unit, function, address and the exception', () => {
    const err = transport().mapError(
      Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 }),
      op,
    );
    expect(err.code).toBe('KEDGE_MODBUS_EXCEPTION');
    expect(err.message).toBe('tcp 127.0.0.1:1 unit 3 FC3 address 40 count 2: exception 2 (Illegal Data Address)');
    expect(err.detail).toMatchObject({
      exceptionCode: 2,
      exceptionName: 'Illegal Data Address',
      unit: 3,
      functionCode: 3,
      address: 40,
    });
  });

  it.each([
    [{ name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' }, 'KEDGE_MODBUS_TIMEOUT'],
    [new Error('CRC error'), 'KEDGE_MODBUS_CRC'],
    [{ name: 'PortNotOpenError', message: 'Port Not Open', errno: 'ECONNREFUSED' }, 'KEDGE_MODBUS_NOT_CONNECTED'],
    [new Error('Data length error, expected 9 got 7'), 'KEDGE_MODBUS_BAD_RESPONSE'],
    [new Error('Unexpected data error, expected address 3 got 4'), 'KEDGE_MODBUS_BAD_RESPONSE'],
    [new Error('EPIPE'), 'KEDGE_MODBUS_IO'],
  ])('%o -> %s', (raw, code) => {
    const err = transport().mapError(raw, op);
    expect(err.code).toBe(code);
    expect(err.message).toContain('unit 3 FC3 address 40');
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('connections', () => {
  it('a refused connection is KEDGE_MODBUS_CONNECT_FAILED naming the endpoint', async () => {
    const port = await freePort();
    const t = new ModbusTransport({ mode: 'TCP', host: '127.0.0.1', port, reconnect: { initialMs: 10_000 } });
    cleanups.push(() => t.stop());
    await expect(t.start()).rejects.toMatchObject({ code: 'KEDGE_MODBUS_CONNECT_FAILED' });
    await expect(t.start()).rejects.toThrow(`tcp 127.0.0.1:${port}: cannot connect`);
    await expect(t.readHoldingRegisters(1, 0, 1)).rejects.toMatchObject({ code: 'KEDGE_MODBUS_NOT_CONNECTED' });
  });

  it('reconnects with back-off after the server goes away and comes back', async () => {
    const points = [
      {
        unit: 1,
        table: 'HoldingRegister' as const,
        offset: 0,
        rawType: 'uint16' as const,
        generator: { kind: 'constant' as const, value: 77 },
      },
    ];
    let sim = new ModbusSim({ points });
    const { port } = await sim.listenTcp();
    const changes: boolean[] = [];
    let reconnected: () => void = () => undefined;
    const back = new Promise<void>((r) => (reconnected = r));
    const t = new ModbusTransport({
      mode: 'TCP',
      host: '127.0.0.1',
      port,
      timeoutMs: 300,
      reconnect: { initialMs: 20, maxMs: 100 },
      onConnectionChange: (up) => {
        changes.push(up);
        if (up && changes.length > 1) reconnected();
      },
    });
    cleanups.push(() => t.stop());
    await t.start();
    expect(await t.readHoldingRegisters(1, 0, 1)).toEqual([77]);

    await sim.stop();
    await new Promise((r) => setTimeout(r, 50));
    await expect(t.readHoldingRegisters(1, 0, 1)).rejects.toMatchObject({ code: 'KEDGE_MODBUS_NOT_CONNECTED' });
    expect(t.connected).toBe(false);

    sim = new ModbusSim({ points });
    cleanups.push(() => sim.stop());
    await sim.listenTcp({ port });
    await back;
    expect(changes).toEqual([true, false, true]);
    expect(await t.readHoldingRegisters(1, 0, 1)).toEqual([77]);
  });

  it('a corrupted RTU answer is KEDGE_MODBUS_CRC and the line keeps working', async () => {
    // A device server that answers every read with value 5, corrupting the CRC of every other answer.
    let n = 0;
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', (req) => {
        const answer = withCrc(Buffer.from([req[0]!, 3, 2, 0, 5]));
        if (n++ % 2 === 0) answer[answer.length - 1] = answer[answer.length - 1]! ^ 0xff;
        socket.write(answer);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const t = new ModbusTransport({
      mode: 'RTUOverTCP',
      host: '127.0.0.1',
      port: (server.address() as net.AddressInfo).port,
      timeoutMs: 300,
    });
    cleanups.push(() => t.stop());
    await t.start();
    await expect(t.readHoldingRegisters(9, 0, 1)).rejects.toMatchObject({ code: 'KEDGE_MODBUS_CRC' });
    await expect(t.readHoldingRegisters(9, 0, 1)).resolves.toEqual([5]);
  });

  it('concurrent callers are serialised, each gets its own answer', async () => {
    const sim = new ModbusSim({ units: [1, 2, 3] });
    for (const u of [1, 2, 3]) sim.memory(u).writeRegisters('HoldingRegister', 0, [u * 100]);
    cleanups.push(() => sim.stop());
    const { port } = await sim.listenTcp({ framing: 'rtu' });
    const t = new ModbusTransport({ mode: 'RTUOverTCP', host: '127.0.0.1', port, timeoutMs: 300 });
    cleanups.push(() => t.stop());
    await t.start();
    const answers = await Promise.all([1, 2, 3, 1, 2, 3].map((u) => t.readHoldingRegisters(u, 0, 1)));
    expect(answers).toEqual([[100], [200], [300], [100], [200], [300]]);
  });
});
