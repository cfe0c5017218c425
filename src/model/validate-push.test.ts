import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../core/yaml/index.js';
import { validateSources, type Source } from './validate.js';
import { pushUrl } from './validate-push.js';

const model = (protocol: string): Source => ({
  file: 'model.yaml',
  content: [
    'apiVersion: devices.kubeedge.io/v1beta1',
    'kind: DeviceModel',
    'metadata: { name: m }',
    'spec:',
    `  protocol: ${protocol}`,
    '  properties:',
    '    - { name: temp, type: FLOAT, accessMode: ReadOnly }',
    '',
  ].join('\n'),
});

/** A device whose property `temp` has the given pushMethod lines (indented under it). */
function device(protocol: string, push: string[]): Source {
  const visitor =
    protocol === 'modbus'
      ? ['        configData: { register: HoldingRegister, offset: 0 }']
      : ['        configData: { name: temp }'];
  const config = protocol === 'modbus' ? '{ communicateMode: TCP, ip: 10.0.0.2, port: 502, slaveID: 1 }' : '{}';
  return {
    file: 'device.yaml',
    content: [
      'apiVersion: devices.kubeedge.io/v1beta1', // 1
      'kind: Device', // 2
      'metadata: { name: d }', // 3
      'spec:', // 4
      '  deviceModelRef: { name: m }', // 5
      `  protocol: { protocolName: ${protocol}, configData: ${config} }`, // 6
      '  properties:', // 7
      '    - name: temp', // 8
      '      visitors:', // 9
      ...visitor, // 10
      '      pushMethod:', // 11
      ...push.map((l) => `        ${l}`), // 12..
      '',
    ].join('\n'),
  };
}

function lines(protocol: string, push: string[]): string[] {
  return validateSources([model(protocol), device(protocol, push)]).diagnostics.map(formatDiagnostic);
}

describe('pushMethod (KubeEdge v1beta1 DeviceProperty.pushMethod)', () => {
  it('mqtt and http as KubeEdge writes them are valid and reach the mapper in the device instance', () => {
    const push = [
      'mqtt: { address: "tcp://127.0.0.1:1883", topic: plant/temp, qos: 1, retained: false }',
      'http: { hostName: "http://127.0.0.1", port: 8080, requestPath: /data, timeout: 2000 }',
    ];
    const result = validateSources([model('modbus'), device('modbus', push)]);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.instances[0]?.properties[0]?.pushMethod).toEqual({
      mqtt: { address: 'tcp://127.0.0.1:1883', topic: 'plant/temp', qos: 1, retained: false },
      http: { hostName: 'http://127.0.0.1', port: 8080, requestPath: '/data', timeout: 2000 },
    });
  });

  it('a method kedge does not implement is an error naming it on kedge protocols, a warning for DMI mappers', () => {
    expect(lines('modbus', ['otel: { endpointURL: "http://collector:4318" }'])).toEqual([
      expect.stringMatching(
        /^device\.yaml:12:15: error: .*pushMethod otel is not supported by kedge's modbus mapper \(it pushes over mqtt and http\)/,
      ),
    ]);
    expect(lines('modbus', ['dbMethod: { redis: { redisClientConfig: { addr: "127.0.0.1:6379" } } }'])[0]).toMatch(
      /error: .*pushMethod dbMethod is not supported/,
    );
    const dmi = lines('virtualProtocol', ['otel: { endpointURL: "http://collector:4318" }']);
    expect(dmi).toEqual([
      expect.stringMatching(/warning: .*pushMethod otel is passed to the DMI mapper serving protocol virtualProtocol/),
    ]);
  });

  it('names what an mqtt or http push lacks', () => {
    expect(lines('modbus', ['mqtt: { topic: plant/temp }'])[0]).toMatch(/error: .*pushMethod mqtt needs address/);
    expect(lines('modbus', ['mqtt: { address: "127.0.0.1:1883", topic: a }'])[0]).toMatch(
      /error: .*127\.0\.0\.1:1883 is not a broker URL; write mqtt:\/\/host:port/,
    );
    expect(lines('modbus', ['mqtt: { address: "mqtt://h:1883", topic: "plant/#" }'])[0]).toMatch(/has a wildcard/);
    expect(lines('modbus', ['http: { port: 80 }'])[0]).toMatch(/error: .*pushMethod http needs hostName/);
    expect(lines('modbus', ['http: { hostName: "ftp://h", port: 21 }'])[0]).toMatch(/is not an http\(s\) URL/);
    expect(lines('modbus', ['http: { hostName: "http://h", port: 70000 }'])[0]).toMatch(/error: .*port/);
  });

  it('builds the URL as KubeEdge joins it: hostName:port + requestPath, http:// by default', () => {
    expect(pushUrl({ hostName: 'http://10.0.0.5', port: 8080, requestPath: '/data' })?.href).toBe(
      'http://10.0.0.5:8080/data',
    );
    expect(pushUrl({ hostName: '10.0.0.5', requestPath: 'in' })?.href).toBe('http://10.0.0.5/in');
    expect(pushUrl({ hostName: 'https://h/', port: 8443 })?.href).toBe('https://h:8443/');
  });
});
