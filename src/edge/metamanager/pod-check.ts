import { TypeCompiler } from '@sinclair/typebox/compiler';
import { PodSchema, type Pod } from '../../model/index.js';

const podCheck = TypeCompiler.Compile(PodSchema);

/** A Pod from the cloud, checked against the part of core/v1 Edged runs. */
export function checkPod(doc: unknown, name: string): { pod?: Pod; problems: string[] } {
  if (!podCheck.Check(doc))
    return {
      problems: [...podCheck.Errors(doc)].slice(0, 5).map((e) => `pod ${name}: ${e.path || '/'}: ${e.message}`),
    };
  return { pod: doc, problems: [] };
}
