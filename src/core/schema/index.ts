export { checker, compiledCheck, firstProblem, jsonChecker, type Checked } from './check.js';
export { oneOf } from './one-of.js';
