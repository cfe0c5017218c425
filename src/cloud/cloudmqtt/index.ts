export { CloudMqtt, type CloudMqttOptions } from './cloudmqtt.js';
export { cloudMqttErrors } from './errors.js';
