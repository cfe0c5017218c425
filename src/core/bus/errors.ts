import { defineErrors } from '../errors/index.js';

export const busErrors = defineErrors({
  KEDGE_BUS_TIMEOUT: {
    status: 504,
    hint: 'The module serving this request did not answer in time; check its log lines for the cause.',
  },
  KEDGE_BUS_NO_HANDLER: {
    status: 503,
    hint: 'No started module serves this request; check the module that serves it is enabled and started.',
  },
  KEDGE_BUS_DUPLICATE_HANDLER: 'Two modules serve the same request name; only one may.',
  KEDGE_BUS_REENTRY:
    'A handler published on a channel that only a process boundary may enter synchronously (a bug in that module): publish it where the input enters the process, or after the handler returns.',
});
