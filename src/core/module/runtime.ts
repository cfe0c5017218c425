import type { Logger } from 'pino';
import { errorText, toKedgeError } from '../errors/index.js';
import { moduleErrors } from './errors.js';
import type { Module } from './module.js';

export interface RuntimeOptions {
  logger: Logger;
  /** How long one module may take to stop before the runtime moves on. */
  stopTimeoutMs?: number;
}

/**
 * Starts modules in the order given and stops them in reverse. When one fails to start, the ones
 * already started are stopped again and start() rejects with KEDGE_MODULE_START_FAILED.
 */
export class ModuleRuntime {
  private readonly running: Module[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly modules: readonly Module[],
    private readonly options: RuntimeOptions,
  ) {
    const names = new Set<string>();
    for (const m of modules) {
      if (names.has(m.name))
        throw moduleErrors.create('KEDGE_MODULE_DUPLICATE', `module name "${m.name}" is used twice`);
      names.add(m.name);
    }
  }

  /** Names of the modules currently running, in start order. */
  get started(): string[] {
    return this.running.map((m) => m.name);
  }

  async start(): Promise<void> {
    for (const module of this.modules) {
      try {
        await module.start();
      } catch (err) {
        const cause = toKedgeError(err, 'KEDGE_MODULE_START_FAILED');
        this.options.logger.error(
          { module: module.name, code: cause.code, err: errorText(err) },
          'module failed to start',
        );
        await this.stop();
        // The cause's own code and hint say what to do; they reach the user with the message.
        const why = cause.code === 'KEDGE_MODULE_START_FAILED' ? cause.message : cause.toLine();
        throw moduleErrors.create('KEDGE_MODULE_START_FAILED', `module ${module.name} failed to start: ${why}`, {
          cause: err,
        });
      }
      this.running.push(module);
      this.options.logger.debug({ module: module.name }, 'module started');
    }
  }

  /** Stops every running module, last started first. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const timeoutMs = this.options.stopTimeoutMs ?? 10_000;
    while (this.running.length > 0) {
      const module = this.running.pop()!;
      try {
        await withTimeout(module.stop(), timeoutMs, module.name);
        this.options.logger.debug({ module: module.name }, 'module stopped');
      } catch (err) {
        this.options.logger.error({ module: module.name, err: errorText(err) }, 'module failed to stop cleanly');
      }
    }
  }
}

function withTimeout(p: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(
      () => reject(moduleErrors.create('KEDGE_MODULE_STOP_TIMEOUT', `module ${name} did not stop within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
