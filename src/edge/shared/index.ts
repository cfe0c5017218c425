export { linkMessage, twinString } from './link-message.js';
export { CauseCounter } from './cause-counter.js';
