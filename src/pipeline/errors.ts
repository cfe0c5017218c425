import { defineErrors } from '../core/errors/index.js';

export const errors = defineErrors({
  KEDGE_PIPELINE_INVALID_RULES:
    "Fix the property's cleansing rules; the message names each field and what was expected.",
  KEDGE_PIPELINE_BAD_SNAPSHOT:
    'The persisted pipeline state is unreadable or from another version; delete it to start the property afresh.',
  KEDGE_PIPELINE_UNKNOWN_PROPERTY:
    'Configure the property with PipelineSet.configure (empty rules {} are fine) before processing its readings.',
  KEDGE_PIPELINE_METRICS:
    'Pass each PipelineSet its own prom-client Registry, or register the pipeline metrics only once per registry.',
});
