export { checker, compiledCheck, firstProblem, jsonChecker, type Checked } from './check.js';
