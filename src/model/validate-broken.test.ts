import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../core/yaml/index.js';
import { validateSources, type Source } from './validate.js';

/** A valid Modbus model + device; each case edits a few lines and expects one precise diagnostic. */
const MODEL = [
  'apiVersion: devices.kubeedge.io/v1beta1', //  1
  'kind: DeviceModel', //  2
  'metadata:', //  3
  '  name: thermo', //  4
  'spec:', //  5
  '  protocol: modbus', //  6
  '  properties:', //  7
  '    - name: temperature', //  8
  '      type: FLOAT', //  9
  '      accessMode: ReadOnly', // 10
  '      minimum: "-40"', // 11
  '      maximum: "125"', // 12
  '    - name: setpoint', // 13
  '      type: INT', // 14
  '      accessMode: ReadWrite', // 15
];

const DEVICE = [
  'apiVersion: devices.kubeedge.io/v1beta1', //  1
  'kind: Device', //  2
  'metadata:', //  3
  '  name: thermo-1', //  4
  'spec:', //  5
  '  deviceModelRef:', //  6
  '    name: thermo', //  7
  '  protocol:', //  8
  '    protocolName: modbus', //  9
  '    configData:', // 10
  '      communicateMode: TCP', // 11
  '      ip: 10.0.0.2', // 12
  '      port: 502', // 13
  '      slaveID: 1', // 14
  '  properties:', // 15
  '    - name: temperature', // 16
  '      visitors:', // 17
  '        protocolName: modbus', // 18
  '        configData:', // 19
  '          register: InputRegister', // 20
  '          offset: 0', // 21
  '          limit: 2', // 22
  '          rawType: float32', // 23
  '    - name: setpoint', // 24
  '      desired:', // 25
  '        value: "21"', // 26
  '      visitors:', // 27
  '        configData:', // 28
  '          register: HoldingRegister', // 29
  '          offset: 10', // 30
];

/** Replaces 1-based lines; a replacement may hold several lines (later numbers shift). */
function edit(lines: string[], edits: Record<number, string> = {}): string {
  return `${lines.map((line, i) => edits[i + 1] ?? line).join('\n')}\n`;
}
const model = (edits?: Record<number, string>): Source => ({ file: 'model.yaml', content: edit(MODEL, edits) });
const device = (edits?: Record<number, string>): Source => ({ file: 'device.yaml', content: edit(DEVICE, edits) });

function other(
  protocol: string,
  deviceConfig: string[],
  visitor: string[],
  type = 'BOOLEAN',
  extra: string[] = [],
): Source[] {
  return [
    {
      file: 'model.yaml',
      content: [
        'apiVersion: devices.kubeedge.io/v1beta1',
        'kind: DeviceModel',
        'metadata:',
        '  name: m',
        'spec:',
        `  protocol: ${protocol}`,
        '  properties:',
        '    - name: p',
        `      type: ${type}`,
        '      accessMode: ReadWrite',
        '',
      ].join('\n'),
    },
    {
      file: 'device.yaml',
      content: [
        'apiVersion: devices.kubeedge.io/v1beta1', // 1
        'kind: Device', // 2
        'metadata:', // 3
        '  name: d', // 4
        'spec:', // 5
        '  deviceModelRef: { name: m }', // 6
        '  protocol:', // 7
        `    protocolName: ${protocol}`, // 8
        '    configData:', // 9
        ...deviceConfig.map((l) => `      ${l}`), // 10..
        '  properties:',
        '    - name: p',
        '      visitors:',
        '        configData:',
        ...visitor.map((l) => `          ${l}`),
        ...extra,
        '',
      ].join('\n'),
    },
  ];
}

interface Case {
  name: string;
  sources: Source[];
  at: `${string}:${number}:${number}`;
  fragment: string;
  severity?: 'error' | 'warning';
}

const cases: Case[] = [
  {
    name: 'unknown property type',
    sources: [model({ 9: '      type: FLOT' }), device()],
    at: 'model.yaml:9:13',
    fragment: 'spec.properties[0].type: expected one of INT, FLOAT, DOUBLE, STRING, BOOLEAN, BYTES, STREAM, got "FLOT"',
  },
  {
    name: 'lower-case property type is read with a warning',
    sources: [model({ 9: '      type: float' }), device()],
    at: 'model.yaml:9:13',
    fragment: 'float read as FLOAT',
    severity: 'warning',
  },
  {
    name: 'accessMode missing: ReadOnly, with a warning (optional in KubeEdge v1.23)',
    sources: [model({ 10: '      unit: C' }), device()],
    at: 'model.yaml:8:13',
    severity: 'warning',
    fragment: 'spec.properties[0].name: property temperature has no accessMode; read as ReadOnly',
  },
  {
    name: 'accessMode missing and a desired value: never written',
    sources: [model({ 15: '      unit: C' }), device()],
    at: 'device.yaml:26:9',
    severity: 'warning',
    fragment: 'property setpoint is ReadOnly (no accessMode) in its DeviceModel; the desired value is never written',
  },
  {
    name: 'minimum not a number',
    sources: [model({ 11: '      minimum: cold' }), device()],
    at: 'model.yaml:11:16',
    fragment: 'spec.properties[0].minimum: expected a number (quoted or not), e.g. 100 or "100.0", got "cold"',
  },
  {
    name: 'minimum above maximum',
    sources: [model({ 11: '      minimum: "200"' }), device()],
    at: 'model.yaml:11:16',
    fragment: 'minimum 200 is greater than maximum 125',
  },
  {
    name: 'unknown register type',
    sources: [model(), device({ 20: '          register: InputRegistr' })],
    at: 'device.yaml:20:21',
    fragment:
      'visitors.configData.register: expected one of CoilRegister, DiscreteInputRegister, HoldingRegister, InputRegister, got "InputRegistr"',
  },
  {
    name: 'limit 0',
    sources: [model(), device({ 22: '          limit: 0' })],
    at: 'device.yaml:22:18',
    fragment: 'spec.properties[0].visitors.configData.limit: expected an integer from 1 to 125, got 0',
  },
  {
    name: 'limit 200',
    sources: [model(), device({ 22: '          limit: 200' })],
    at: 'device.yaml:22:18',
    fragment: 'expected an integer from 1 to 125, got 200',
  },
  {
    name: '32-bit raw type with limit 1',
    sources: [model(), device({ 22: '          limit: 1' })],
    at: 'device.yaml:22:18',
    fragment: 'rawType float32 needs limit 2 (32-bit value in 2 registers), got 1',
  },
  {
    name: 'float64 with limit 2',
    sources: [model(), device({ 23: '          rawType: float64' })],
    at: 'device.yaml:22:18',
    fragment: 'rawType float64 needs limit 4',
  },
  {
    name: 'string raw type without limit',
    sources: [model(), device({ 22: '          # no limit', 23: '          rawType: string' })],
    at: 'device.yaml:20:11',
    fragment: 'rawType string needs limit',
  },
  {
    name: 'KubeEdge dataType float with limit 4',
    sources: [model(), device({ 23: '          dataType: float', 22: '          limit: 4' })],
    at: 'device.yaml:22:18',
    fragment: 'dataType float with limit 4 is ambiguous: use limit 1 or 2',
  },
  {
    name: 'coil with a float raw type',
    sources: [model(), device({ 20: '          register: CoilRegister' })],
    at: 'device.yaml:23:20',
    fragment: 'CoilRegister holds single bits: rawType must be bool, got float32',
  },
  {
    name: 'offset out of range',
    sources: [model(), device({ 21: '          offset: 70000' })],
    at: 'device.yaml:21:19',
    fragment: 'configData.offset: expected an integer from 0 to 65535, got 70000',
  },
  {
    name: 'TCP without ip',
    sources: [model(), device({ 12: '      # ip missing' })],
    at: 'device.yaml:11:7',
    fragment: 'spec.protocol.configData: communicateMode TCP needs ip',
  },
  {
    name: 'RTU without serialPort',
    sources: [model(), device({ 11: '      communicateMode: RTU' })],
    at: 'device.yaml:11:7',
    fragment: 'communicateMode RTU needs serialPort',
  },
  {
    name: 'unknown communicateMode',
    sources: [model(), device({ 11: '      communicateMode: UDP' })],
    at: 'device.yaml:11:24',
    fragment: 'expected one of TCP, RTU, RTUOverTCP, got "UDP"',
  },
  {
    name: 'missing model',
    sources: [model(), device({ 7: '    name: thermo-v2' })],
    at: 'device.yaml:7:11',
    fragment:
      'spec.deviceModelRef.name: DeviceModel thermo-v2 not found in namespace default among the given files (models given: default/thermo)',
  },
  {
    name: 'model in another namespace',
    sources: [model({ 4: '  name: thermo\n  namespace: plant' }), device()],
    at: 'device.yaml:7:11',
    fragment: 'a DeviceModel thermo exists in namespace plant',
  },
  {
    name: 'unknown property',
    sources: [model(), device({ 16: '    - name: humidity' })],
    at: 'device.yaml:16:13',
    fragment:
      'spec.properties[0].name: property humidity is not declared in DeviceModel thermo (its properties: temperature, setpoint)',
  },
  {
    name: 'duplicate property name',
    sources: [model(), device({ 24: '    - name: temperature' })],
    at: 'device.yaml:24:13',
    fragment: 'duplicate property name temperature, already used by spec.properties[0]',
  },
  {
    name: 'duplicate device in two documents',
    sources: [model(), { file: 'device.yaml', content: `${edit(DEVICE)}---\n${edit(DEVICE)}` }],
    at: 'device.yaml:35:9',
    fragment: 'duplicate Device default/thermo-1, already defined at device.yaml:4:9',
  },
  {
    name: 'protocol differs from the model',
    sources: [model({ 6: '  protocol: opcua' }), device()],
    at: 'device.yaml:9:19',
    fragment: 'spec.protocol.protocolName: expected opcua (the protocol of DeviceModel thermo), got modbus',
  },
  {
    name: 'visitor protocol differs',
    sources: [model(), device({ 18: '        protocolName: opcua' })],
    at: 'device.yaml:18:23',
    fragment: 'visitors.protocolName: expected modbus (spec.protocol.protocolName), got opcua',
  },
  {
    name: 'misspelt protocol name',
    sources: [
      model({ 6: '  protocol: modbus-tcp' }),
      device({ 9: '    protocolName: modbus-tcp', 18: '        protocolName: modbus-tcp' }),
    ],
    at: 'device.yaml:9:19',
    fragment: 'modbus-tcp is not a kedge protocol; did you mean modbus?',
    severity: 'warning',
  },
  {
    name: 'NaN desired value',
    sources: [model(), device({ 26: '        value: "NaN"' })],
    at: 'device.yaml:26:16',
    fragment:
      'spec.properties[1].desired.value: "NaN" is not a valid INT value: expected a whole number such as 42 or -7 (property setpoint is INT)',
  },
  {
    name: 'desired value more than the register holds',
    sources: [model(), device({ 26: '        value: "70000"' })],
    at: 'device.yaml:26:16',
    fragment:
      'spec.properties[1].desired.value: setpoint=70000: 70000 does not fit the device: a uint16 register holds 0..65535',
  },
  {
    name: 'desired value between two steps of the scale',
    sources: [model(), device({ 26: '        value: "25"', 30: '          offset: 10\n          scale: 2' })],
    at: 'device.yaml:26:16',
    fragment: 'setpoint=25: 25 is not a multiple of 2 (a uint16 register scaled by 2); nearest 26',
  },
  {
    name: 'unquoted desired value',
    sources: [model(), device({ 26: '        value: 21' })],
    at: 'device.yaml:26:16',
    fragment: 'spec.properties[1].desired.value: expected a string, got 21 (quote it: "21")',
  },
  {
    name: 'desired value on a ReadOnly property',
    sources: [model(), device({ 17: '      desired: { value: "20.5" }\n      visitors:' })],
    at: 'device.yaml:17:16',
    fragment: 'property temperature is ReadOnly in its DeviceModel; the desired value is never written',
    severity: 'warning',
  },
  {
    name: 'desired value outside the model range',
    sources: [model({ 14: '      type: INT\n      maximum: "30"' }), device({ 26: '        value: "31"' })],
    at: 'device.yaml:26:16',
    fragment: "31 is outside the property's range [-inf, 30]",
  },
  {
    name: 'legacy nanosecond cycle',
    sources: [model(), device({ 23: '          rawType: float32\n      collectCycle: 5000000000' })],
    at: 'device.yaml:24:21',
    fragment:
      'spec.properties[0].collectCycle: 5000000000 is legacy nanoseconds (KubeEdge before v1.19); read as 5000 ms',
    severity: 'warning',
  },
  {
    name: 'cycle longer than a timer can wait (a mapper would poll without pause)',
    sources: [model(), device({ 23: '          rawType: float32\n      collectCycle: 2147483648' })],
    at: 'device.yaml:24:21',
    fragment: 'collectCycle: 2147483648 ms is longer than the longest cycle a timer can wait (2147483647 ms',
  },
  {
    name: 'nodeName that is no node name (DNS-1123)',
    sources: [model(), device({ 5: 'spec:\n  nodeName: Line_3' })],
    at: 'device.yaml:6:13',
    fragment: 'nodeName',
  },
  {
    name: 'ip that is no IPv4 address',
    sources: [model(), device({ 12: '      ip: 999.1.1.1' })],
    at: 'device.yaml:12:11',
    fragment: 'ip 999.1.1.1 is not an IPv4 address (999 is not 0..255',
  },
  {
    name: 'a leading-zero number kubectl reads as octal',
    sources: [model(), device({ 30: '          offset: 010' })],
    at: 'device.yaml:30:19',
    fragment: '010 is 10 here but 8 to kubectl and KubeEdge (YAML 1.1 octal)',
  },
  {
    name: 'a merge key kubectl merges and kedge does not',
    sources: [model(), device({ 29: '          <<: { register: HoldingRegister }' })],
    at: 'device.yaml:29:11',
    fragment: 'merge key (<<)',
  },
  {
    name: 'cycle given as text',
    sources: [model(), device({ 23: '          rawType: float32\n      reportCycle: 1s' })],
    at: 'device.yaml:24:20',
    fragment: 'reportCycle: expected an integer >= 0, got "1s"',
  },
  {
    name: 'misspelt KubeEdge field',
    sources: [model(), device({ 23: '          rawType: float32\n      colectCycle: 1000' })],
    at: 'device.yaml:24:7',
    fragment:
      'spec.properties[0].colectCycle: unknown field colectCycle in spec.properties[0], ignored (did you mean collectCycle?)',
    severity: 'warning',
  },
  {
    name: 'bad cleansing rule (min > max)',
    sources: [
      model({ 12: '      maximum: "125"\n      cleansing: { range: { min: 10, max: 5, action: reject } }' }),
      device(),
    ],
    at: 'model.yaml:13:34',
    fragment: 'spec.properties[0].cleansing.range.min: range.min (10) must not be greater than range.max (5)',
  },
  {
    name: 'bad cleansing action',
    sources: [
      model(),
      device({ 23: '          rawType: float32\n      cleansing:\n        range: { min: 0, action: drop }' }),
    ],
    at: 'device.yaml:25:34',
    fragment: 'cleansing.range.action: expected one of reject, clamp, got "drop"',
  },
  {
    name: 'unknown field in kedge cleansing',
    sources: [
      model(),
      device({ 23: '          rawType: float32\n      cleansing:\n        rnage: { min: 0, action: clamp }' }),
    ],
    at: 'device.yaml:25:9',
    fragment: 'spec.properties[0].cleansing.rnage: unknown field rnage (did you mean range?)',
  },
  {
    name: 'bad metadata.name',
    sources: [model(), device({ 4: '  name: Thermo_1' })],
    at: 'device.yaml:4:9',
    fragment: 'metadata.name: expected a Kubernetes name',
  },
  {
    name: "protocol missing: the model's, with a warning",
    sources: [
      model({ 6: '  protocol: modbus\n  protocolConfigData: { communicateMode: TCP, ip: 10.0.0.2, port: 502 }' }),
      device({ 8: '  # no protocol', 9: '  #', 10: '  #', 11: '  #', 12: '  #', 13: '  #', 14: '  #' }),
    ],
    at: 'device.yaml:6:3',
    severity: 'warning',
    fragment: 'spec.protocol: no protocolName; read as modbus, the protocol of DeviceModel thermo',
  },
  {
    name: 'no protocol anywhere: served by no mapper, with a warning',
    sources: [
      model({ 6: '  # no protocol' }),
      device({ 8: '  # no protocol', 9: '  #', 10: '  #', 11: '  #', 12: '  #', 13: '  #', 14: '  #' }),
    ],
    at: 'device.yaml:6:3',
    severity: 'warning',
    fragment: 'neither the Device nor DeviceModel thermo names a protocol: no mapper will serve this device',
  },
  {
    name: "the model's protocolConfigData is checked with the device's",
    sources: [
      model({ 6: '  protocol: modbus\n  protocolConfigData: { communicateMode: TCP, port: 502, slaveID: 300 }' }),
      device({ 12: '      # ip from nowhere', 13: '      #', 14: '      #' }),
    ],
    at: 'device.yaml:11:7',
    fragment:
      "spec.protocol.configData.slaveID: expected an integer from 1 to 247, got 300 (the value comes from the DeviceModel's spec.protocolConfigData)",
  },
  {
    name: 'method names an unknown property',
    sources: [
      model(),
      device({ 30: '          offset: 10\n  methods:\n    - name: set\n      propertyNames: [setpoint, setpiont]' }),
    ],
    at: 'device.yaml:33:33',
    fragment: 'method set names property setpiont, which DeviceModel thermo does not declare',
  },
  {
    name: 'kind missing',
    sources: [model(), device({ 2: '# kind: Device' })],
    at: 'device.yaml:1:1',
    fragment: 'kind is missing; expected a Kubernetes object',
  },
  {
    name: 'other kinds are ignored',
    sources: [model(), { file: 'device.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' }],
    at: 'device.yaml:2:7',
    fragment: 'kind ConfigMap is not a Device, DeviceModel or Pod; ignored',
    severity: 'warning',
  },
  {
    name: 'a misspelled kind is an error with the kind meant',
    sources: [model(), device({ 2: 'kind: Devcie' })],
    at: 'device.yaml:2:7',
    fragment: 'kind Devcie is not a kind kedge knows; did you mean Device?',
  },
  {
    name: 'a kind in the device API group that kedge does not know is an error',
    sources: [model(), device({ 2: 'kind: DeviceProfile' })],
    at: 'device.yaml:2:7',
    fragment: 'kind DeviceProfile is not a kind of devices.kubeedge.io; expected Device or DeviceModel',
  },
  {
    name: "KubeEdge v1.23's DeviceStatus is read and checked, not applied (a warning)",
    sources: [
      model(),
      {
        file: 'status.yaml',
        content: [
          'apiVersion: devices.kubeedge.io/v1beta1',
          'kind: DeviceStatus',
          'metadata: { name: thermo-1 }',
          'status:',
          '  state: online',
          '  lastOnlineTime: "2026-12-08T04:40:00Z"',
          '  twins:',
          '    - propertyName: temperature',
          '      reported: { value: "21.5", metadata: { timestamp: "1796701640509" } }',
          '',
        ].join('\n'),
      },
    ],
    at: 'status.yaml:2:7',
    severity: 'warning',
    fragment: 'DeviceStatus is the observed state kedge keeps for each Device',
  },
  {
    name: 'a DeviceStatus is checked against its schema',
    sources: [
      model(),
      {
        file: 'status.yaml',
        content:
          'apiVersion: devices.kubeedge.io/v1beta1\nkind: DeviceStatus\nmetadata: { name: t }\nstatus:\n  twins:\n    - propertyName: t\n      reported: { metadata: {} }\n',
      },
    ],
    at: 'status.yaml:7:17',
    fragment: 'value',
  },
  {
    name: 'YAML syntax error',
    sources: [model(), device({ 4: '  name: [thermo-1' })],
    at: 'device.yaml:5:1',
    fragment: 'YAML syntax',
  },
  {
    name: 'duplicate YAML key',
    sources: [model(), device({ 13: '      port: 502\n      port: 503' })],
    at: 'device.yaml:14:7',
    fragment: 'YAML syntax: Map keys must be unique',
  },
  {
    name: 'empty file',
    sources: [{ file: 'device.yaml', content: '' }],
    at: 'device.yaml:1:1',
    fragment: 'the file has no YAML document',
  },
  {
    name: 'comments only',
    sources: [{ file: 'device.yaml', content: '# nothing here\n---\n' }],
    at: 'device.yaml:1:1',
    fragment: 'the file has no YAML document',
  },
  {
    name: 'binary garbage',
    sources: [
      { file: 'device.yaml', content: Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff]) },
    ],
    at: 'device.yaml:1:1',
    fragment: 'this file is binary, not YAML text',
  },
  {
    name: 'not UTF-8',
    sources: [
      { file: 'device.yaml', content: Uint8Array.from([0x6b, 0x3a, 0x20, 0x31, 0x0a, 0x61, 0x3a, 0x20, 0xff, 0xfe]) },
    ],
    at: 'device.yaml:2:4',
    fragment: 'this file is not UTF-8 text',
  },
  {
    name: 'plain text document',
    sources: [{ file: 'device.yaml', content: 'hello world\n' }],
    at: 'device.yaml:1:1',
    fragment: 'document 1 is plain text ("hello world")',
  },
  {
    name: 'list document',
    sources: [{ file: 'device.yaml', content: '---\napiVersion: x\n---\n- a\n- b\n' }],
    at: 'device.yaml:4:1',
    fragment: 'document 2 is a list',
  },
  {
    name: 'bad OPC UA url',
    sources: other('opcua', ['url: http://10.0.0.5:4840'], ['nodeID: ns=2;s=Temp'], 'FLOAT'),
    at: 'device.yaml:10:12',
    fragment: 'spec.protocol.configData.url: expected an endpoint URL starting with opc.tcp://',
  },
  {
    name: 'bad OPC UA node id',
    sources: other('opcua', ['url: opc.tcp://10.0.0.5:4840'], ['nodeID: Temperature'], 'FLOAT'),
    at: 'device.yaml:15:19',
    fragment: 'configData.nodeID: expected an OPC UA node id such as ns=2;s=Temperature',
  },
  {
    name: 'OPC UA security mode without policy',
    sources: other('opcua', ['url: opc.tcp://plc:4840', 'securityMode: Sign'], ['nodeID: ns=2;i=7'], 'FLOAT'),
    at: 'device.yaml:11:21',
    fragment: 'securityMode Sign needs a securityPolicy other than None',
  },
  {
    name: 'GPIO pin 99',
    sources: other('gpio', ['chip: gpiochip0'], ['pin: 99', 'direction: out']),
    at: 'device.yaml:15:16',
    fragment: 'spec.properties[0].visitors.configData.pin: expected an integer from 0 to 53, got 99',
  },
  {
    name: 'GPIO direction missing',
    sources: other('gpio', ['chip: 0'], ['pin: 17']),
    at: 'device.yaml:15:11',
    fragment: 'configData.direction: required field is missing (expected one of in, out)',
  },
  {
    name: 'GPIO edge on an output',
    sources: other('gpio', ['chip: 0'], ['pin: 17', 'direction: out', 'edge: rising']),
    at: 'device.yaml:17:17',
    fragment: 'edge rising applies to direction in',
  },
  {
    name: 'unknown field in kedge serial framing',
    sources: other(
      'serial',
      ['serialPort: /dev/ttyUSB0', 'framing: { type: delimiter, delimter: "\\n" }'],
      ['pattern: "T=(\\\\d+)"'],
      'INT',
    ),
    at: 'device.yaml:11:35',
    fragment: 'spec.protocol.configData.framing.delimter: unknown field delimter (did you mean delimiter?)',
  },
  {
    name: 'serial fixed framing without length',
    sources: other('serial', ['serialPort: /dev/ttyUSB0', 'framing: { type: fixed }'], ['pattern: "(\\\\d+)"'], 'INT'),
    at: 'device.yaml:11:16',
    fragment: 'framing.length: required field is missing (expected an integer from 1 to 65536)',
  },
  {
    name: 'serial pattern that does not compile',
    sources: other('serial', ['serialPort: /dev/ttyUSB0'], ['pattern: "T=(\\\\d+"'], 'INT'),
    at: 'device.yaml:15:20',
    fragment: 'configData.pattern: pattern is not a valid regular expression',
  },
  {
    name: 'NMEA field of the wrong sentence',
    sources: other(
      'serial',
      ['serialPort: /dev/ttyUSB0', 'framing: { type: nmea }'],
      ['sentence: RMC', 'field: altitude'],
      'DOUBLE',
    ),
    at: 'device.yaml:17:18',
    fragment: 'RMC has no field altitude; expected one of latitude, longitude, speedKnots, course, status',
  },
  {
    name: 'modbus dataBits 9',
    sources: [model(), device({ 14: '      slaveID: 1\n      dataBits: 9' })],
    at: 'device.yaml:15:17',
    fragment: 'configData.dataBits: expected one of 7, 8, got 9',
  },
];

describe('kedge validate: broken inputs', () => {
  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = validateSources(c.sources);
    const lines = result.diagnostics.map(formatDiagnostic);
    const wanted = `${c.at}: ${c.severity ?? 'error'}: `;
    const hit = lines.find((l) => l.startsWith(wanted) && l.includes(c.fragment));
    expect(hit, `no "${wanted}...${c.fragment}" among:\n${lines.join('\n')}`).toBeDefined();
    if ((c.severity ?? 'error') === 'warning') expect(lines.filter((l) => l.includes(': error: '))).toEqual([]);
  });

  it('the unedited base files are clean and resolve', () => {
    const result = validateSources([model(), device()]);
    expect(result.diagnostics).toEqual([]);
    expect(result.instances.map((i) => i.id)).toEqual(['default/thermo-1']);
  });
});
