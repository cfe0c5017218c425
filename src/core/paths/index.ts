export { packageRoot, packageVersion } from './package-root.js';
