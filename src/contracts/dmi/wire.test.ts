import { describe, expect, it } from 'vitest';
import { fromAny, shortestFloat32, toAny } from './any-value.js';
import { fromPbDevice, toPbDevice } from './convert.js';
import { loadDmi } from './load.js';
import type { PbDevice } from './types.js';

/**
 * kedge's api.proto must put KubeEdge's bytes on the wire. These expectations are written by hand
 * from KubeEdge v1.23's staging/src/github.com/kubeedge/api/apis/dmi/v1beta1/api.proto field numbers
 * (not from kedge's .proto), with a protobuf encoder of a few lines, so that a renumbered field in
 * kedge's file fails here.
 */
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const field = (n: number, bytes: number[]) => [...varint((n << 3) | 2), ...varint(bytes.length), ...bytes];
const str = (n: number, s: string) => field(n, [...Buffer.from(s)]);
const int = (n: number, v: number) => [...varint(n << 3), ...varint(v)];
const hex = (b: number[]) => Buffer.from(b).toString('hex');

type Method = { requestSerialize(v: unknown): Buffer; requestDeserialize(b: Buffer): unknown };
async function methods(service: 'manager' | 'mapper'): Promise<Record<string, Method>> {
  const dmi = await loadDmi();
  return dmi[service].service as unknown as Record<string, Method>;
}

describe('DMI v1beta1 wire format', () => {
  it('MapperRegisterRequest: withData=1, mapper=2 {name=1, protocol=4, address=5 (bytes), state=6}', async () => {
    const { MapperRegister } = await methods('manager');
    const bytes = MapperRegister!.requestSerialize({
      withData: true,
      mapper: { name: 'm', protocol: 'modbus', address: Buffer.from('/s.sock'), state: 'ok' },
    });
    const mapper = [...str(1, 'm'), ...str(4, 'modbus'), ...str(5, '/s.sock'), ...str(6, 'ok')];
    expect(bytes.toString('hex')).toBe(hex([...int(1, 1), ...field(2, mapper)]));
  });

  it('ReportDeviceStatusRequest: deviceName=1, reportedDevice=2 {twins=1 {propertyName=1, observedDesired=2, reported=3}}, deviceNamespace=3', async () => {
    const { ReportDeviceStatus } = await methods('manager');
    const wire = [
      ...str(1, 'd1'),
      ...field(
        2,
        field(1, [
          ...str(1, 'temp'),
          ...field(2, str(1, '20')),
          ...field(3, [...str(1, '21.5'), ...field(2, [...str(1, 'q'), ...str(2, 'good')])]),
        ]),
      ),
      ...str(3, 'default'),
    ];
    const decoded = ReportDeviceStatus!.requestDeserialize(Buffer.from(wire));
    expect(decoded).toMatchObject({
      deviceName: 'd1',
      deviceNamespace: 'default',
      reportedDevice: {
        twins: [
          {
            propertyName: 'temp',
            observedDesired: { value: '20' },
            reported: { value: '21.5', metadata: { q: 'good' } },
          },
        ],
      },
    });
  });

  it('ReportDeviceStatesRequest: deviceName=1, deviceNamespace=2, state=3', async () => {
    const { ReportDeviceStates } = await methods('manager');
    const bytes = ReportDeviceStates!.requestSerialize({ deviceName: 'd', deviceNamespace: 'ns', state: 'ok' });
    expect(bytes.toString('hex')).toBe(hex([...str(1, 'd'), ...str(2, 'ns'), ...str(3, 'ok')]));
  });

  it('Device: name=1, spec=2 {deviceModelReference=1, protocol=2, properties=3 {desired=2, visitors=3, reportCycle=4, collectCycle=5, reportToCloud=6}}, namespace=4', async () => {
    const { RegisterDevice } = await methods('mapper');
    const property = [...str(1, 'p'), ...field(2, str(1, '7')), ...int(4, 2000), ...int(5, 500), ...int(6, 1)];
    const spec = [...str(1, 'model'), ...field(2, str(1, 'modbus')), ...field(3, property)];
    const bytes = RegisterDevice!.requestSerialize({
      device: {
        name: 'd',
        namespace: 'ns',
        spec: {
          deviceModelReference: 'model',
          protocol: { protocolName: 'modbus' },
          properties: [
            { name: 'p', desired: { value: '7' }, reportCycle: 2000, collectCycle: 500, reportToCloud: true },
          ],
        },
      },
    });
    expect(bytes.toString('hex')).toBe(hex(field(1, [...str(1, 'd'), ...field(2, spec), ...str(4, 'ns')])));
  });

  it('packs configData values into Any as KubeEdge dataToAny does (numbers are FloatValue)', () => {
    const any = (v: unknown) => {
      const a = toAny(v)!;
      return `${a.type_url} ${a.value.toString('hex')}`;
    };
    expect(any('TCP')).toBe(`type.googleapis.com/google.protobuf.StringValue ${hex(str(1, 'TCP'))}`);
    expect(any(true)).toBe(`type.googleapis.com/google.protobuf.BoolValue ${hex(int(1, 1))}`);
    // 502 as a float32, little endian: 0x43fb0000.
    expect(any(502)).toBe('type.googleapis.com/google.protobuf.FloatValue 0d0000fb43');
    expect(any(2 ** 30)).toBe(`type.googleapis.com/google.protobuf.Int64Value ${hex(int(1, 2 ** 30))}`);
    expect(toAny(null)).toBeUndefined();
  });

  it('reads Any values back, a float32 as its shortest decimal, nested objects as Struct', () => {
    for (const v of ['x', true, false, 502, 0.1, -40.5, 2 ** 40, { type: 'delimiter', delimiter: '\r\n' }, [1, 'a']])
      expect(fromAny(toAny(v)!)).toEqual(v);
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
  });

  it('a Device survives toPbDevice -> wire -> fromPbDevice with its settings, desired values and cycles', async () => {
    const { RegisterDevice } = await methods('mapper');
    const device = {
      apiVersion: 'devices.kubeedge.io/v1beta1' as const,
      kind: 'Device' as const,
      metadata: { name: 'meter-1', namespace: 'plant' },
      spec: {
        deviceModelRef: { name: 'meter' },
        protocol: { protocolName: 'modbus', configData: { ip: '10.0.0.9', port: 502, slaveID: 7 } },
        properties: [
          {
            name: 'voltage',
            collectCycle: 500,
            reportCycle: 1000,
            reportToCloud: true,
            visitors: { protocolName: 'modbus', configData: { register: 'InputRegister', offset: 4, scale: 0.1 } },
          },
          {
            name: 'relay',
            desired: { value: 'true' },
            visitors: { configData: { register: 'CoilRegister', offset: 1 } },
          },
        ],
        stateReport: { reportCycle: 3000, reportToCloud: true },
      },
    };
    const model = {
      apiVersion: 'devices.kubeedge.io/v1beta1' as const,
      kind: 'DeviceModel' as const,
      metadata: { name: 'meter', namespace: 'plant' },
      spec: { properties: [{ name: 'relay', type: 'BOOLEAN' as const, accessMode: 'ReadWrite' as const }] },
    };
    const pb = toPbDevice(device, model, { relay: 'false' });
    expect(pb.spec?.properties[1]?.desired).toEqual({
      value: 'false',
      metadata: { type: 'boolean', pending: 'false' },
    });
    const wire = RegisterDevice!.requestSerialize({ device: pb });
    const back = fromPbDevice((RegisterDevice!.requestDeserialize(wire) as { device: PbDevice }).device);
    expect(back.spec.protocol).toEqual(device.spec.protocol);
    expect(back.spec.properties?.[0]).toEqual(device.spec.properties[0]);
    expect(back.spec.properties?.[1]?.desired).toEqual({
      value: 'false',
      metadata: { type: 'boolean', pending: 'false' },
    });
    expect(back.spec.stateReport).toEqual({ reportCycle: 3000, reportToCloud: true });
  });

  it('every Device carries protocol, and every property desired, visitors and visitors.configData (mapper-framework dereferences them)', async () => {
    const { RegisterDevice } = await methods('mapper');
    const bare = {
      apiVersion: 'devices.kubeedge.io/v1beta1' as const,
      kind: 'Device' as const,
      metadata: { name: 'd' },
      spec: { deviceModelRef: { name: 'm' }, properties: [{ name: 'p' }] },
    };
    const model = {
      apiVersion: 'devices.kubeedge.io/v1beta1' as const,
      kind: 'DeviceModel' as const,
      metadata: { name: 'm' },
      spec: { properties: [{ name: 'p', type: 'INT' as const }] },
    };
    const wire = RegisterDevice!.requestSerialize({ device: toPbDevice(bare, model) });
    // What a Go client sees after decoding: a nil pointer is a field absent from the bytes.
    const decoded = (RegisterDevice!.requestDeserialize(wire) as { device: PbDevice }).device;
    expect(decoded.spec?.protocol).not.toBeNull();
    expect(decoded.spec?.protocol?.configData).not.toBeNull();
    const p = decoded.spec!.properties[0]!;
    expect(p.desired).toEqual({ value: '', metadata: { type: 'int' } });
    expect(p.visitors).not.toBeNull();
    expect(p.visitors?.configData).toEqual({ data: {} });
    // And kedge reads such a device back without inventing a protocol or visitors.
    const back = fromPbDevice(decoded);
    expect(back.spec.protocol).toBeUndefined();
    expect(back.spec.properties?.[0]).toEqual({ name: 'p' });
  });
});
