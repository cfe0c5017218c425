import { defineErrors } from '../core/errors/index.js';

/** Error codes of the device model (schema, resolution, values). */
export const modelErrors = defineErrors({
  KEDGE_MODEL_BAD_VALUE:
    'Write the value in the form the property type expects (INT: 42, FLOAT/DOUBLE: 21.5, BOOLEAN: true/false).',
  KEDGE_MODEL_UNKNOWN_PROPERTY:
    'Every Device property must be declared in its DeviceModel; check the spelling or add it to the model.',
  KEDGE_MODEL_YAML: 'Fix the YAML syntax at the place named (kedge validate shows the line and column).',
  KEDGE_MODEL_IMPORT_INVALID: {
    status: 400,
    hint: 'Fix the CSV rows named (one Device per row: a name column, then node, namespace, label.<key>, desired.<property> or configData fields); nothing was imported.',
  },
  KEDGE_MODEL_MISMATCH:
    'The Device must reference its DeviceModel by name and use the same protocol; run `kedge validate` on both files.',
});
