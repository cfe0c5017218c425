import type { Source, ValidateOptions, ValidationResult } from './validate.js';

// The validator loads on first use: it brings the YAML parser (about 1.3 MB of RSS), and mappers
// import this module for its types and property helpers but never validate files.

/** `kedge validate`'s checks over files and directories (see validate.ts). */
export async function validateFiles(paths: string[], options: ValidateOptions = {}): Promise<ValidationResult> {
  return (await import('./validate.js')).validateFiles(paths, options);
}

/** The same checks over texts already in memory (see validate.ts). */
export async function validateSources(sources: Source[]): Promise<ValidationResult> {
  return (await import('./validate.js')).validateSources(sources);
}
