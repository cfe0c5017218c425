import { packageVersion } from '../core/paths/index.js';

// A mapper (one process per workload, started by Edged) loads only its own command: see
// mapper-main.ts. Everything else gets the whole command tree.
if (process.argv[2] === 'mapper') {
  const { runMapperCommand } = await import('./mapper-main.js');
  await runMapperCommand(process.argv);
} else {
  const { buildProgram } = await import('./program.js');
  await buildProgram(packageVersion()).parseAsync(process.argv);
}
