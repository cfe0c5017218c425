export { systemClock, ManualClock, type Clock, type Timer } from './clock.js';
