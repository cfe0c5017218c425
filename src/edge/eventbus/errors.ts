import { defineErrors } from '../../core/errors/index.js';

export const eventbusErrors = defineErrors({
  KEDGE_EVENTBUS_LISTEN:
    'The MQTT port is taken or not allowed; choose another with --mqtt-port or stop the other broker.',
  KEDGE_EVENTBUS_CONNECT: 'The external MQTT broker (--mqtt-url) is not reachable; check it runs and the URL.',
});
