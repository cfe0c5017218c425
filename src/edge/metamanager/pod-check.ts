import { checkSchema, PodSchema, type Pod } from '../../model/index.js';

/** A Pod from the cloud, checked against the part of core/v1 Edged runs (worded as `kedge validate` does). */
export function checkPod(doc: unknown, name: string): { pod?: Pod; problems: string[] } {
  const { valid, problems } = checkSchema(PodSchema, doc);
  if (valid) return { pod: doc as Pod, problems: [] };
  const errors = problems.filter((p) => p.severity === 'error').slice(0, 5);
  return {
    problems:
      errors.length > 0 ? errors.map((p) => `pod ${name}: ${p.message}`) : [`pod ${name}: does not match the schema`],
  };
}
