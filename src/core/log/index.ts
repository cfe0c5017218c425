export { createLogger, silentLogger, moduleLogger, type Logger, type LoggerOptions } from './logger.js';
