import { Type, type Static } from '@sinclair/typebox';
import type { DeviceInstance } from '../model/index.js';

/**
 * `$ke/mappers/<protocol>/devices` (retained): every Device of one protocol on this node, with
 * its model resolved (see `resolveDeviceInstance` in src/model). The envelope is checked here;
 * each device's protocol and visitor config is checked by the driver's own schema.
 */
export const MapperDeviceSetSchema = Type.Object({
  node: Type.String(),
  protocol: Type.String(),
  /** Increases with every change; a mapper ignores a set older than the one it applied. */
  version: Type.Number(),
  devices: Type.Array(
    Type.Object(
      {
        id: Type.String({ minLength: 3 }),
        protocol: Type.String(),
        properties: Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: true })),
      },
      { additionalProperties: true },
    ),
  ),
});

export type MapperDeviceSet = Omit<Static<typeof MapperDeviceSetSchema>, 'devices'> & { devices: DeviceInstance[] };
