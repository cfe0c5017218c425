export {
  API_GROUP,
  API_VERSION,
  DeviceSchema,
  DeviceModelSchema,
  DeviceStatusSchema,
  DeviceSpecSchema,
  DeviceModelSpecSchema,
  DevicePropertySchema,
  ModelPropertySchema,
  DeviceMethodSchema,
  ObjectMetaSchema,
  PropertyTypeSchema,
  AccessModeSchema,
  type Device,
  type DeviceModel,
  type DeviceSpec,
  type DeviceModelSpec,
  type DeviceProperty,
  type ModelProperty,
  type DeviceMethod,
  type ObjectMeta,
  type TwinValue,
  type PushMethod,
  type DeviceStatus,
} from './schema.js';
export {
  PROPERTY_TYPES,
  ACCESS_MODES,
  normalizePropertyType,
  parsePropertyValue,
  twinValuesMatch,
  type PropertyType,
  type AccessMode,
  type PropertyValue,
} from './property-type.js';
export { normalizeCycle, DEFAULT_CYCLE_MS, MAX_CYCLE_MS, type NormalizedCycle } from './cycles.js';
export { mergeModelDefaults, protocolOf } from './merge.js';
export { convertV1alpha2, convertYaml, V1ALPHA2, type Converted, type ConvertedFile } from './v1alpha2.js';
export { normalizeDesired, type DesiredTarget } from './desired-value.js';
export {
  resolveDeviceInstance,
  namespaceOf,
  boundOf,
  DEFAULT_NAMESPACE,
} from './resolve.js';
export {
  DeviceInstanceSchema,
  PropertyInstanceSchema,
  type DeviceInstance,
  type PropertyInstance,
} from './instance.js';
export { modelErrors } from './errors.js';
export {
  CleansingRulesSchema,
  QualitySchema,
  checkCleansingRules,
  type CleansingRules,
  type Quality,
} from './cleansing/index.js';
export {
  ReadingValueSchema,
  RawQualitySchema,
  RawSampleSchema,
  RawReadingSchema,
  CleansedReadingSchema,
  type CleansedReading,
  type ReadingValue,
  type RawQuality,
  type RawSample,
  type RawReading,
} from './reading.js';
export { checkSchema, type SchemaProblem } from './schema-check.js';
export { validateFiles, validateSources } from './validate-lazy.js';
export { stripNulls } from './validate-document.js';
export { checkForApply, type ApplyCheck, type StoredModel } from './apply-check.js';
export {
  assertImportable,
  checkCsvImport,
  devicesFromCsv,
  importRequest,
  importSummary,
  MAX_CSV_ROWS,
  type CsvImport,
  type ImportRequest,
} from './csv-import.js';
export type { ValidationResult, ValidateOptions, Source } from './validate.js';
export {
  PodSchema,
  PodSpecSchema,
  POD_API_VERSION,
  parseBytes,
  parseCpus,
  type Pod,
  type PodSpec,
  type PodContainer,
} from './pod.js';
export * from './protocols/index.js';
export { pushUrl, KEDGE_PUSH_METHODS } from './validate-push.js';
