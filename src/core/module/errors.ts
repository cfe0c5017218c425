import { defineErrors } from '../errors/index.js';

export const moduleErrors = defineErrors({
  KEDGE_MODULE_START_FAILED:
    'A module could not start; the modules started before it were stopped again. Its cause is printed above.',
  KEDGE_MODULE_STOP_TIMEOUT: 'A module did not stop in time; the others were stopped anyway.',
  KEDGE_MODULE_DUPLICATE: 'Two modules have the same name; module names must be unique in a process.',
});
