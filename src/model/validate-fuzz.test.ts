import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateSources } from './validate.js';

/** Whatever shape a Device or DeviceModel document has, validation reports and never throws. */
const anyValue = fc.jsonValue({ maxDepth: 4 });
const field = (key: string, values: fc.Arbitrary<unknown>) =>
  fc.option(fc.tuple(fc.constant(key), values), { nil: undefined });

const document = fc
  .tuple(
    fc.constantFrom('Device', 'DeviceModel'),
    field(
      'metadata',
      fc.oneof(
        anyValue,
        fc.record(
          { name: fc.oneof(fc.constant('d'), anyValue), namespace: fc.oneof(fc.constant('ns'), anyValue) },
          { requiredKeys: [] },
        ),
      ),
    ),
    field(
      'spec',
      fc.oneof(
        anyValue,
        fc.record(
          {
            deviceModelRef: fc.oneof(fc.constant({ name: 'd' }), anyValue),
            protocol: fc.oneof(
              fc.constant({ protocolName: 'modbus', configData: { ip: 'x' } }),
              fc.constant('modbus'),
              anyValue,
            ),
            properties: fc.oneof(
              fc.array(
                fc.oneof(
                  fc.record(
                    {
                      name: fc.constant('p'),
                      type: fc.constantFrom('int', 'FLOAT'),
                      accessMode: fc.constant('ReadWrite'),
                      desired: anyValue,
                      visitors: anyValue,
                      cleansing: anyValue,
                    },
                    { requiredKeys: [] },
                  ),
                  anyValue,
                ),
              ),
              anyValue,
            ),
          },
          { requiredKeys: [] },
        ),
      ),
    ),
  )
  .map(([kind, ...fields]) => ({
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind,
    ...Object.fromEntries(fields.filter((f): f is [string, unknown] => f !== undefined)),
  }));

describe('validateSources robustness', () => {
  it('never throws, and every diagnostic has a position and a message', () => {
    fc.assert(
      fc.property(fc.array(document, { minLength: 1, maxLength: 4 }), (docs) => {
        const content = docs.map((d) => stringify(d)).join('---\n');
        const result = validateSources([{ file: 'fuzz.yaml', content }]);
        for (const d of result.diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.col).toBeGreaterThanOrEqual(1);
          expect(d.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(() => validateSources([{ file: 'any.yaml', content: text }])).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
