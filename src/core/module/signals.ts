import type { Logger } from 'pino';
import { errorText } from '../errors/index.js';

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Stops `target` on SIGINT or SIGTERM and resolves once it has stopped, so a command's action can
 * `await` it and return: the process then exits 0 with every file and socket closed. A second
 * signal while stopping forces exit 1.
 */
export function stopOnSignal(
  target: Stoppable,
  logger: Logger,
  signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal while stopping: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      target
        .stop()
        .catch((err: unknown) => logger.error({ err: errorText(err) }, 'stop failed'))
        .finally(() => {
          for (const s of signals) process.off(s, onSignal);
          resolve();
        });
    };
    for (const s of signals) process.on(s, onSignal);
  });
}
