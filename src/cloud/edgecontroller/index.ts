export { EdgeController, type EdgeControllerOptions } from './edgecontroller.js';
export { edgeControllerErrors } from './errors.js';
export { mapperSetFor } from './mappers.js';
