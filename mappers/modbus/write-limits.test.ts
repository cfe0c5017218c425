import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modbusWriteLimits, validateFiles } from '../../src/model/index.js';
import { deriveDecodeSpec } from './decode-spec.js';

describe('write limits (src/model/protocols) and the decoder', () => {
  it('agree on the raw type of every register property of every library device', async () => {
    const result = await validateFiles([join(import.meta.dirname, '../../device-models')]);
    let checked = 0;
    for (const device of result.instances.filter((i) => i.protocol === 'modbus')) {
      for (const p of device.properties) {
        const spec = deriveDecodeSpec(p.visitor, { propertyType: p.type });
        const limits = modbusWriteLimits(p.visitor, p.type);
        if (spec.table === 'CoilRegister' || spec.table === 'DiscreteInputRegister') {
          expect(limits, `${device.id} ${p.name}`).toBeUndefined();
          continue;
        }
        if (spec.rawType === 'float64') continue;
        const words =
          spec.rawType === 'string' ? `${spec.stringRegisters} registers of ASCII` : ` ${spec.rawType} register`;
        expect(limits?.source, `${device.id} ${p.name}`).toContain(words);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
