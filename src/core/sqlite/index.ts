export { openSqlite, migrate, PAGE_SIZE, type Migration, type OpenSqliteOptions } from './open.js';
