import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

/**
 * Counts rejected input by where it came from and why, and logs each (where, cause) pair once:
 * a mapper that sends the same bad payload 10 times a second must not flood the log.
 */
export class CauseCounter {
  private readonly counter: Counter<'where' | 'cause'> | undefined;
  private readonly logged = new Set<string>();
  readonly totals = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    registry: Registry | undefined,
    name: string,
    help: string,
  ) {
    this.counter = registry
      ? new Counter({ name, help, labelNames: ['where', 'cause'] as const, registers: [registry] })
      : undefined;
  }

  count(where: string, cause: string, detail: Record<string, unknown>, message: string): void {
    const key = `${where}|${cause}`;
    this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
    this.counter?.inc({ where, cause });
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.logger.warn({ where, cause, ...detail }, `${message} (logged once per cause; see metrics for counts)`);
  }

  total(where: string, cause: string): number {
    return this.totals.get(`${where}|${cause}`) ?? 0;
  }
}
