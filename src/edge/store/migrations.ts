import type { Database } from 'better-sqlite3';
import { migrate as runMigrations, type Migration } from '../../core/sqlite/index.js';
import { storeErrors } from './errors.js';

/**
 * Numbered schema migrations. Never edit a released one; append a new one. Each runs in its own
 * transaction together with the bump of `user_version`, so a crash leaves the old or the new
 * schema, never half of one.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, type TEXT NOT NULL, value TEXT NOT NULL, resource_version INTEGER NOT NULL);
      CREATE INDEX meta_type ON meta (type);
      CREATE TABLE twin (device TEXT NOT NULL, property TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (device, property)) WITHOUT ROWID;
      CREATE TABLE device_state (device TEXT PRIMARY KEY, state TEXT NOT NULL, reason TEXT, ts INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE pipeline_state (key TEXT PRIMARY KEY, snapshot TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, key TEXT NOT NULL, ts INTEGER NOT NULL, bytes INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX outbox_kind ON outbox (kind, id);
    `,
  },
  {
    version: 2,
    // Reported values are appended here (sequential pages) and folded into `twin` now and then.
    sql: `CREATE TABLE twin_reported_log (id INTEGER PRIMARY KEY, device TEXT NOT NULL, property TEXT NOT NULL, reported TEXT NOT NULL);`,
  },
  {
    version: 3,
    // One journal row per device and batch, values packed as [value, quality, ts, version]: about
    // a third of the bytes per reading of version 2's row per property.
    sql: `
      CREATE TABLE twin_reported_journal (id INTEGER PRIMARY KEY, device TEXT NOT NULL, reported TEXT NOT NULL);
      INSERT INTO twin_reported_journal (id, device, reported)
        SELECT id, device, json_object(property, json_array(json_extract(reported, '$.value'), json_extract(reported, '$.quality'), json_extract(reported, '$.ts'), json_extract(reported, '$.version')))
        FROM twin_reported_log ORDER BY id;
      DROP TABLE twin_reported_log;
      ALTER TABLE twin_reported_journal RENAME TO twin_reported_log;
    `,
  },
  {
    version: 4,
    // The message id beside the body: the sender needs only the id, and parsing every body it
    // sends (a few kB of telemetry each) was a visible part of the edge's CPU. NULL in older rows.
    sql: `ALTER TABLE outbox ADD COLUMN msg_id TEXT;`,
  },
  {
    version: 5,
    // takeLatest: the newest twin/state entry of one device, without scanning the outbox. Partial,
    // so that readings (nearly every insert) do not pay for maintaining it.
    sql: `CREATE INDEX outbox_state_key ON outbox (kind, key, id) WHERE kind IN ('twin', 'state');`,
  },
  {
    version: 6,
    // The readings an entry carries, so that drops are counted per reading (existing telemetry
    // entries are counted once here, in each of the three forms the link has had); and the
    // store's identity, which the edge presents to the cloud: a new or replaced file has a new one.
    sql: `
      ALTER TABLE outbox ADD COLUMN readings INTEGER NOT NULL DEFAULT 0;
      UPDATE outbox SET readings = CASE
        WHEN json_type(body, '$.content.devices') = 'array' THEN (
          SELECT COALESCE(SUM(COALESCE(json_array_length(d.value, '$.p'), json_array_length(d.value, '$.readings'), 0)), 0)
          FROM json_each(outbox.body, '$.content.devices') AS d)
        ELSE COALESCE(json_array_length(body, '$.content.readings'), 0) END
      WHERE kind = 'reading';
      CREATE TABLE store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO store_info (key, value) VALUES ('id', lower(hex(randomblob(16))));
    `,
  },
  {
    version: 7,
    // SD card wear (issue 19): every index and table a commit touches is a page more in the WAL.
    // No AUTOINCREMENT (its sqlite_sequence row was rewritten by every insert: the store hands out
    // ids itself, see SqliteOutboxStore), no index on (kind, id) (rewritten by every insert and
    // delete; the droppable entries are found from the oldest id on). `body` without a text type:
    // it holds compressed bodies as blobs beside the plain JSON of older rows.
    sql: `
      CREATE TABLE outbox_v7 (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, ts INTEGER NOT NULL, bytes INTEGER NOT NULL, body BLOB NOT NULL, msg_id TEXT, readings INTEGER NOT NULL DEFAULT 0);
      INSERT INTO outbox_v7 (id, kind, key, ts, bytes, body, msg_id, readings)
        SELECT id, kind, key, ts, bytes, body, msg_id, readings FROM outbox ORDER BY id;
      DROP TABLE outbox;
      ALTER TABLE outbox_v7 RENAME TO outbox;
      CREATE INDEX outbox_state_key ON outbox (kind, key, id) WHERE kind IN ('twin', 'state');
      DELETE FROM sqlite_sequence WHERE name = 'outbox';
    `,
  },
];

export function migrate(db: Database): number {
  return runMigrations(db, migrations, (version, cause) =>
    storeErrors.create('KEDGE_STORE_MIGRATION', `migration ${version} failed: ${(cause as Error).message}`, { cause }),
  );
}
