export { PodController, type PodControllerOptions } from './podcontroller.js';
export { podControllerErrors } from './errors.js';
