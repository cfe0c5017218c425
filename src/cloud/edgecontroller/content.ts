import { Type, type Static } from '@sinclair/typebox';
import { checker } from '../../core/schema/index.js';

/** `mapperstatus` content (src/contracts/link.ts MapperStatusContent), checked where it enters the cloud. */
export const MapperStatusContentSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  protocols: Type.Array(Type.String()),
  phase: Type.Union([
    Type.Literal('Running'),
    Type.Literal('Starting'),
    Type.Literal('CrashLoopBackOff'),
    Type.Literal('Stopped'),
  ]),
  restarts: Type.Number(),
  ready: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  ts: Type.Number(),
});
export type MapperStatusIn = Static<typeof MapperStatusContentSchema>;

export const checkMapperStatus = checker(MapperStatusContentSchema, 'content');
