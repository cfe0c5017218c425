import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { deriveDecodeSpec } from '../../../mappers/modbus/index.js';
import { MODBUS_DATA_TYPES, MODBUS_RAW_TYPES, MODBUS_REGISTERS, type ModbusVisitorConfig } from './modbus.js';
import { KNOWN_PROTOCOLS, protocolSchemasFor } from './index.js';

const context = { device: {}, accessMode: 'ReadOnly', hasDesired: false } as const;
const errorsOf = (visitor: ModbusVisitorConfig, propertyType: string) =>
  protocolSchemasFor('modbus')!
    .checkVisitor(visitor, { ...context, propertyType })
    .filter((i) => i.severity === 'error');

const visitorArb = fc.record(
  {
    register: fc.constantFrom(...MODBUS_REGISTERS),
    offset: fc.integer({ min: 0, max: 200 }),
    limit: fc.integer({ min: 1, max: 8 }),
    rawType: fc.constantFrom(...MODBUS_RAW_TYPES),
    dataType: fc.constantFrom(...MODBUS_DATA_TYPES),
    bit: fc.integer({ min: 0, max: 15 }),
    scale: fc.constantFrom(1, 0.1, 10),
  },
  { requiredKeys: ['register', 'offset'] },
);

describe('protocol schema registry', () => {
  it('knows the four kedge protocols, case-insensitively, and nothing else', () => {
    expect(KNOWN_PROTOCOLS).toEqual(['modbus', 'opcua', 'serial', 'gpio']);
    expect(protocolSchemasFor('OPCUA')).toBe(protocolSchemasFor('opcua'));
    expect(protocolSchemasFor('virtualProtocol')).toBeUndefined();
  });

  it('accepts the Modbus visitors of KubeEdge examples (dataType float with limit 1, coils with dataType int)', () => {
    const schemas = protocolSchemasFor('modbus')!;
    const temperature = {
      dataType: 'float',
      register: 'HoldingRegister',
      offset: 0,
      limit: 1,
      scale: 0.1,
      isSwap: false,
      isRegisterSwap: false,
      max: 100.0,
      min: 1.0,
    };
    const toggle = {
      dataType: 'int',
      register: 'CoilRegister',
      offset: 0,
      limit: 1,
      scale: 1,
      isSwap: false,
      isRegisterSwap: false,
    };
    expect(Value.Check(schemas.visitorConfig, temperature)).toBe(true);
    expect(Value.Check(schemas.visitorConfig, toggle)).toBe(true);
    expect(errorsOf(temperature as ModbusVisitorConfig, 'FLOAT')).toEqual([]);
    expect(errorsOf(toggle as ModbusVisitorConfig, 'INT')).toEqual([]);
  });

  it('a Modbus visitor that validates also decodes (deriveDecodeSpec), and the other way round', () => {
    fc.assert(
      fc.property(
        visitorArb,
        fc.constantFrom('INT', 'FLOAT', 'DOUBLE', 'BOOLEAN', 'STRING'),
        (visitor, propertyType) => {
          const v = visitor as ModbusVisitorConfig;
          let decodes = true;
          try {
            deriveDecodeSpec(v, { propertyType });
          } catch {
            decodes = false;
          }
          const valid = errorsOf(v, propertyType).length === 0;
          // kedge validate is stricter in one place only: `bit` without rawType bit is a mistake the decoder ignores.
          const stricter = v.bit !== undefined && v.rawType !== 'bit';
          expect(valid ? decodes : !decodes || stricter).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('serial visitor: writes', () => {
  const check = (visitor: Record<string, unknown>, accessMode: 'ReadOnly' | 'ReadWrite', hasDesired = false) =>
    protocolSchemasFor('serial')!
      .checkVisitor(visitor, { device: { serialPort: '/dev/ttyUSB0' }, accessMode, hasDesired, propertyType: 'FLOAT' })
      .map((i) => `${i.severity} ${i.path.join('.')}: ${i.message}`);

  it('takes writeCommand with {value} and a writeAck regex on a ReadWrite property', () => {
    expect(check({ pattern: 'SP=(\\d+)', writeCommand: 'SP {value}\\r', writeAck: '^OK' }, 'ReadWrite', true)).toEqual(
      [],
    );
  });

  it('names what is wrong: no {value}, a bad writeAck, writeAck alone, writeCommand on ReadOnly, a desired value without writeCommand', () => {
    expect(check({ writeCommand: 'SP\\r' }, 'ReadWrite')).toEqual([
      'error writeCommand: writeCommand needs {value} where the value goes (e.g. "SP {value}\\r")',
    ]);
    expect(check({ writeCommand: 'SP {value}\\r', writeAck: '(' }, 'ReadWrite')[0]).toMatch(
      /^error writeAck: writeAck is not a valid regular expression/,
    );
    expect(check({ writeAck: '^OK' }, 'ReadWrite')).toEqual(['error writeAck: writeAck needs writeCommand']);
    expect(check({ writeCommand: 'SP {value}\\r' }, 'ReadOnly')).toEqual([
      'warning writeCommand: writeCommand is used only for ReadWrite properties; the model property is ReadOnly',
    ]);
    expect(check({}, 'ReadWrite', true)).toEqual([
      'error : a desired value needs writeCommand: the serial driver writes a property only with it',
    ]);
  });
});
