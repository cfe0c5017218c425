import type { Migration } from '../../core/sqlite/index.js';

/** Each step runs once, in order, in its own transaction; `user_version` records how far a file got. */
const steps: string[] = [
  `CREATE TABLE objects (
     kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
     rv INTEGER NOT NULL, body TEXT NOT NULL,
     PRIMARY KEY (kind, namespace, name));
   CREATE TABLE events (
     rv INTEGER PRIMARY KEY, kind TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL);
   CREATE INDEX events_kind ON events (kind, rv);
   CREATE TABLE counter (id INTEGER PRIMARY KEY CHECK (id = 1), rv INTEGER NOT NULL, compacted INTEGER NOT NULL);
   INSERT INTO counter (id, rv, compacted) VALUES (1, 0, 0);`,
  `CREATE TABLE object_sync (
     node TEXT NOT NULL, key TEXT NOT NULL, token TEXT NOT NULL, PRIMARY KEY (node, key));
   CREATE TABLE handled_ids (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, msg_id TEXT NOT NULL);
   CREATE INDEX handled_ids_node ON handled_ids (node, seq);`,
  // The edge store each node's acknowledgements in object_sync belong to (docs/link.md, "Fresh store").
  `CREATE TABLE node_store (node TEXT PRIMARY KEY, store_id TEXT NOT NULL) WITHOUT ROWID;`,
];

/** The steps above, numbered from 1 (`user_version` records how far a file got). */
export const migrations: readonly Migration[] = steps.map((sql, i) => ({ version: i + 1, sql }));
