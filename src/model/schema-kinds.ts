import { Type, type ObjectOptions, type TProperties, type TSchema } from '@sinclair/typebox';

/**
 * Who defines an object decides how an unknown field in it is reported:
 * - kedge-defined objects (`kedgeObject`, `additionalProperties: false`): an error, TypeBox flags it;
 * - KubeEdge-defined objects (`kubeObject`): a warning (the Kubernetes API would prune the field,
 *   and a valid KubeEdge file must validate, so never an error);
 * - free-form objects (`freeForm`: configData, status, metadata): anything goes.
 * The mark lives in the schema under this key; CRD generation strips it.
 */
export const UNKNOWN_FIELDS = 'x-kedge-unknown';
export type UnknownFieldPolicy = 'warn' | 'allow';

/**
 * The fields of a KubeEdge-defined object that its CRD requires (KubeEdge's CRDs require almost
 * nothing: kedge's generated ones require no more, so that they accept every object KubeEdge's do).
 */
export const CRD_REQUIRED = 'x-kedge-crd-required';

/** The OpenAPI format of an integer in the CRDs when it is not int64 (KubeEdge's Go int32 fields). */
export const INT_FORMAT = 'x-kedge-int-format';

/** Plain-words description of what a field expects, used in messages when TypeBox's would be vague. */
export const EXPECTED = 'x-kedge-expected';

export function kubeObject<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { ...options, [UNKNOWN_FIELDS]: 'warn' });
}

export function kedgeObject<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

/** A map whose fields are defined elsewhere (a mapper, Kubernetes) and checked there if at all. */
export function freeForm(description: string) {
  return Type.Record(Type.String(), Type.Unknown(), { description, [UNKNOWN_FIELDS]: 'allow' });
}

export function unknownFieldPolicy(schema: TSchema): UnknownFieldPolicy | 'error' | undefined {
  if (schema['additionalProperties'] === false) return 'error';
  const mark: unknown = schema[UNKNOWN_FIELDS];
  return mark === 'warn' || mark === 'allow' ? mark : undefined;
}

/** A number written either as a YAML number or, as KubeEdge's own examples do, as a quoted string. */
export function numberOrNumericString(description: string) {
  return Type.Union(
    [Type.Number(), Type.String({ pattern: '^\\s*[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?\\s*$' })],
    {
      description,
      [EXPECTED]: 'a number (quoted or not), e.g. 100 or "100.0"',
    },
  );
}
