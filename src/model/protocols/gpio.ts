import { Type, type Static } from '@sinclair/typebox';
import type { ProtocolSchemas, SchemaIssue, VisitorContext } from './types.js';

// Registry types are imported as types only: mappers/schemas.ts imports this file.
function issue(path: SchemaIssue['path'], message: string, severity: SchemaIssue['severity'] = 'error'): SchemaIssue {
  return { path, message, severity };
}

/** GPIO `protocol.configData` and visitor `configData` (BCM pin numbers, Raspberry Pi header: 0..53). */
export const GpioDeviceConfigSchema = Type.Object(
  {
    chip: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })], {
        description:
          'GPIO chip as gpiodetect names it (gpiochip0 or 0), or its label; pins are then line offsets in it. Default: pins are sysfs numbers (on a Raspberry Pi with Linux 6.6 or later those start at 512: use chip gpiochip0).',
        'x-kedge-expected': 'a chip name such as gpiochip0 or a chip number',
      }),
    ),
  },
  { description: 'GPIO controller.' },
);
export type GpioDeviceConfig = Static<typeof GpioDeviceConfigSchema>;

export const GpioVisitorConfigSchema = Type.Object(
  {
    pin: Type.Integer({ minimum: 0, maximum: 53, description: 'BCM pin number (0..53).' }),
    direction: Type.Union([Type.Literal('in'), Type.Literal('out')], { description: 'in (read) or out (drive).' }),
    edge: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('rising'), Type.Literal('falling'), Type.Literal('both')], {
        description: 'Inputs: which transitions are reported at once (default none: polled).',
      }),
    ),
    activeLow: Type.Optional(Type.Boolean({ description: 'Invert the logic level (default false).' })),
    debounceMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 60_000, description: 'Inputs: ignore changes shorter than this.' }),
    ),
  },
  { description: 'Which pin holds the property.' },
);
export type GpioVisitorConfig = Static<typeof GpioVisitorConfigSchema>;

export function checkGpioVisitor(
  v: GpioVisitorConfig,
  context: Pick<VisitorContext, 'propertyType' | 'accessMode' | 'hasDesired'>,
): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (v.direction === 'out') {
    if (v.edge !== undefined && v.edge !== 'none')
      issues.push(issue(['edge'], `edge ${v.edge} applies to direction in; an output pin has no edges`));
    if (v.debounceMs !== undefined)
      issues.push(
        issue(['debounceMs'], 'debounceMs applies to direction in; it is ignored for an output pin', 'warning'),
      );
  } else if (context.hasDesired) {
    issues.push(issue(['direction'], 'direction in cannot take a desired value; use direction out to drive the pin'));
  }
  if (context.propertyType !== 'BOOLEAN' && context.propertyType !== 'INT') {
    issues.push(
      issue([], `a GPIO pin is a single bit; the model property type ${context.propertyType} should be BOOLEAN or INT`),
    );
  }
  return issues;
}

export const gpioSchemas: ProtocolSchemas = {
  deviceConfig: GpioDeviceConfigSchema,
  visitorConfig: GpioVisitorConfigSchema,
  checkDevice: () => [],
  checkVisitor: (visitor, context) => checkGpioVisitor(visitor as GpioVisitorConfig, context),
};
