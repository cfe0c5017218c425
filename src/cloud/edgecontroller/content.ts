import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

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

const compiled = TypeCompiler.Compile(MapperStatusContentSchema);

export function checkMapperStatus(value: unknown): { ok: true; value: MapperStatusIn } | { ok: false; reason: string } {
  if (compiled.Check(value)) return { ok: true, value };
  const first = compiled.Errors(value).First();
  return {
    ok: false,
    reason: first ? `content field ${first.path || '/'}: ${first.message}` : 'content does not match',
  };
}
