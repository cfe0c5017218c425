import { defineErrors } from '../../core/errors/index.js';

export const servicebusErrors = defineErrors({
  KEDGE_SERVICEBUS_FORBIDDEN: {
    status: 403,
    hint: 'Add the target to edge.servicebusAllow (host:port patterns) if it should be reachable.',
  },
  KEDGE_SERVICEBUS_TIMEOUT: {
    status: 504,
    hint: 'The target did not answer in time; check it runs, or raise the timeout.',
  },
  KEDGE_SERVICEBUS_TOO_LARGE: { status: 413, hint: 'Send a smaller request, or raise the limit.' },
  KEDGE_SERVICEBUS_UPSTREAM: {
    status: 502,
    hint: 'The target could not be reached or sent too much; check it runs and its answer size.',
  },
  KEDGE_SERVICEBUS_BAD_REQUEST: { status: 400, hint: 'Call /<host>:<port>/<path> on the ServiceBus endpoint.' },
  KEDGE_SERVICEBUS_LISTEN: 'The ServiceBus port is taken; choose another (edge.servicebusPort).',
});
