import { defineErrors } from '../../core/errors/index.js';

export const storeErrors = defineErrors({
  KEDGE_STORE_OPEN:
    'The SQLite file could not be opened; check --data-dir exists, is writable and is not used by another kedge edge.',
  KEDGE_STORE_MIGRATION: 'A schema migration failed and was rolled back; the file may come from a newer kedge.',
  KEDGE_STORE_CLOSED: 'The store is not open; the edge node is starting or has stopped.',
  KEDGE_STORE_CORRUPT_ROW: 'A stored row could not be decoded; it is skipped. Report it with the file if it repeats.',
});
