import { defineErrors } from '../../core/errors/index.js';

export const cloudMqttErrors = defineErrors({
  KEDGE_CLOUDMQTT_LISTEN:
    'The embedded cloud MQTT broker could not listen; check --mqtt-port is free (a Mosquitto already running?) or use --mqtt-url.',
  KEDGE_CLOUDMQTT_CONNECT:
    'The external cloud MQTT broker (--mqtt-url) could not be reached; check the URL, that it runs, and its credentials.',
  KEDGE_CLOUDMQTT_PUBLISH: 'A message could not be handed to the cloud MQTT broker; the edge sends it again later.',
});
