export { PushPanel } from './panel.js';
