import { Type, type Static } from '@sinclair/typebox';
import { oneOf } from '../core/schema/index.js';
import { formatDiagnostic, type Diagnostic } from '../core/yaml/index.js';
import type { KedgeError } from '../core/errors/index.js';
import type { ApplyCheck } from '../model/index.js';
import { apiErrors } from './api-errors.js';

/** A problem in the documents, as an editor marks it: where, how bad, what, and its one-line form. */
export const DocumentProblemSchema = Type.Object({
  file: Type.String(),
  line: Type.Integer({ minimum: 1 }),
  col: Type.Integer({ minimum: 1 }),
  severity: oneOf(['error', 'warning']),
  message: Type.String(),
  /** `file:line:col: severity: message` (as `kedge validate` prints it). */
  text: Type.String(),
});
export type DocumentProblem = Static<typeof DocumentProblemSchema>;

/** `POST /api/v1/validate` (cloud and edge): the checks of apply, nothing applied. */
export const ValidationResultSchema = Type.Object({
  valid: Type.Boolean(),
  models: Type.Integer({ minimum: 0 }),
  devices: Type.Integer({ minimum: 0 }),
  pods: Type.Integer({ minimum: 0 }),
  problems: Type.Array(DocumentProblemSchema),
});
export type ValidationResult = Static<typeof ValidationResultSchema>;

/** The problems of `diagnostics` for an editor (the dashboard marks each line). */
export function problemsOf(diagnostics: readonly Diagnostic[]): DocumentProblem[] {
  return diagnostics.map((d) => ({ ...d, text: formatDiagnostic(d) }));
}

/** The answer of a validation (`check` as `checkForApply` gives it). */
export function validationResult(check: ApplyCheck): ValidationResult {
  return {
    valid: check.errors.length === 0,
    models: check.models.length,
    devices: check.devices.length,
    pods: check.pods.length,
    problems: problemsOf(check.diagnostics),
  };
}

/** An apply refused as a whole (KEDGE_API_INVALID): every diagnostic, and the problems for an editor. */
export function invalidDocuments(check: ApplyCheck): KedgeError {
  return apiErrors.create(
    'KEDGE_API_INVALID',
    `${check.errors.length} error(s) in the documents:\n${check.errors.map(formatDiagnostic).join('\n')}`,
    { detail: { diagnostics: check.diagnostics.map(formatDiagnostic), problems: problemsOf(check.diagnostics) } },
  );
}
