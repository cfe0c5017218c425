import { defineErrors } from '../../core/errors/index.js';

export const servicebusErrors = defineErrors({
  KEDGE_SERVICEBUS_FORBIDDEN: 'Add the target to edge.servicebusAllow (host:port patterns) if it should be reachable.',
  KEDGE_SERVICEBUS_TIMEOUT: 'The target did not answer in time; check it runs, or raise the timeout.',
  KEDGE_SERVICEBUS_TOO_LARGE: 'Send a smaller request, or raise the limit.',
  KEDGE_SERVICEBUS_UPSTREAM: 'The target could not be reached or sent too much; check it runs and its answer size.',
  KEDGE_SERVICEBUS_BAD_REQUEST: 'Call /<host>:<port>/<path> on the ServiceBus endpoint.',
  KEDGE_SERVICEBUS_LISTEN: 'The ServiceBus port is taken; choose another (edge.servicebusPort).',
});
