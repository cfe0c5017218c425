import { describe, expect, it } from 'vitest';
import { generate, parser, type Packet } from 'mqtt-packet';
import {
  decodeConnack,
  decodePublish,
  decodeSuback,
  encodeConnect,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  PacketError,
  withDup,
} from './packets.js';
import { PacketReader } from './reader.js';

/** Parses one packet with mqtt-packet (mqtt.js's codec), the reference these encoders must agree with. */
function reference(buf: Buffer): Packet {
  const p = parser({ protocolVersion: 4 });
  const out: Packet[] = [];
  p.on('packet', (packet) => out.push(packet));
  p.on('error', (err) => {
    throw err;
  });
  p.parse(buf);
  expect(out).toHaveLength(1);
  return out[0]!;
}

function raw(buf: Buffer) {
  const out: { type: number; flags: number; body: Buffer }[] = [];
  new PacketReader(1 << 20).push(buf, (p) => out.push({ ...p, body: Buffer.from(p.body) }));
  expect(out).toHaveLength(1);
  return out[0]!;
}

describe('MQTT 3.1.1 encoders agree with mqtt-packet', () => {
  it('CONNECT with will, credentials and clean session', () => {
    const p = reference(
      encodeConnect({
        clientId: 'kedge-mapper-m1-42',
        clean: true,
        keepaliveSeconds: 60,
        username: 'u',
        password: 'p',
        will: { topic: 'st/m1', payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
      }),
    );
    expect(p).toMatchObject({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      clientId: 'kedge-mapper-m1-42',
      username: 'u',
    });
    expect(p.cmd === 'connect' && p.password?.toString()).toBe('p');
    expect(p.cmd === 'connect' && p.will).toMatchObject({ topic: 'st/m1', qos: 1, retain: true });
    expect(p.cmd === 'connect' && p.will?.payload.toString()).toBe('{"state":"offline"}');
  });

  it('PUBLISH QoS 0 and QoS 1, with retain, at every remaining-length size', () => {
    for (const size of [0, 100, 200, 20_000, 3_000_000]) {
      const payload = Buffer.alloc(size, 7);
      const p = reference(encodePublish('$ke/events/device/default/m-1/data/update', payload, 1, true, 513));
      expect(p).toMatchObject({
        cmd: 'publish',
        topic: '$ke/events/device/default/m-1/data/update',
        qos: 1,
        retain: true,
        dup: false,
        messageId: 513,
      });
      expect(p.cmd === 'publish' && Buffer.compare(p.payload as Buffer, payload)).toBe(0);
    }
    expect(reference(encodePublish('t/ü', Buffer.from('x'), 0, false, 0))).toMatchObject({
      cmd: 'publish',
      topic: 't/ü',
      qos: 0,
      retain: false,
    });
  });

  it('a resend carries DUP and is otherwise the same packet', () => {
    const first = encodePublish('t', Buffer.from('x'), 1, false, 9);
    expect(reference(withDup(first))).toMatchObject({ cmd: 'publish', dup: true, messageId: 9, topic: 't' });
    expect(reference(first)).toMatchObject({ dup: false });
  });

  it('SUBSCRIBE and PUBACK', () => {
    expect(
      reference(encodeSubscribe(7, ['$ke/mappers/modbus/devices', '$hw/events/device/+/+/twin/update/delta'], 1)),
    ).toMatchObject({
      cmd: 'subscribe',
      messageId: 7,
      subscriptions: [
        { topic: '$ke/mappers/modbus/devices', qos: 1 },
        { topic: '$hw/events/device/+/+/twin/update/delta', qos: 1 },
      ],
    });
    expect(reference(encodePuback(65535))).toMatchObject({ cmd: 'puback', messageId: 65535 });
  });
});

describe('MQTT 3.1.1 decoders read what mqtt-packet writes', () => {
  it('CONNACK, PUBLISH, SUBACK', () => {
    expect(decodeConnack(raw(generate({ cmd: 'connack', returnCode: 5, sessionPresent: false })))).toEqual({
      sessionPresent: false,
      returnCode: 5,
    });
    const pub = decodePublish(
      raw(
        generate({
          cmd: 'publish',
          topic: 'a/b',
          payload: Buffer.from('hi'),
          qos: 1,
          messageId: 300,
          retain: true,
          dup: false,
        }),
      ),
    );
    expect(pub).toMatchObject({ topic: 'a/b', qos: 1, messageId: 300, retain: true, dup: false });
    expect(pub.payload.toString()).toBe('hi');
    expect(
      decodePublish(
        raw(generate({ cmd: 'publish', topic: 'q0', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false })),
      ),
    ).toMatchObject({ topic: 'q0', qos: 0 });
    expect(decodeSuback(raw(generate({ cmd: 'suback', messageId: 4, granted: [1, 128] })))).toEqual({
      messageId: 4,
      granted: [1, 128],
    });
  });

  it('rejects bodies too short for what they announce', () => {
    expect(() => decodePublish({ type: 3, flags: 2, body: Buffer.from([0, 10, 0x61]) })).toThrow(PacketError);
    expect(() => decodeConnack({ type: 2, flags: 0, body: Buffer.from([0]) })).toThrow(/CONNACK/);
    expect(() => decodePublish({ type: 3, flags: 6, body: Buffer.from([0, 1, 0x61]) })).toThrow(/QoS 3/);
  });
});
