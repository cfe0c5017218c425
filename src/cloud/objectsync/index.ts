export { NodeObjects, nodeOf, syncToken, type NodeObjectsOptions } from './node-objects.js';
