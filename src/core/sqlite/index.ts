export { openSqlite, migrate, type Migration, type OpenSqliteOptions } from './open.js';
