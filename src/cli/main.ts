import { packageVersion } from '../core/paths/index.js';
import { buildProgram } from './program.js';

await buildProgram(packageVersion()).parseAsync(process.argv);
