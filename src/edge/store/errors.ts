import { defineErrors } from '../../core/errors/index.js';

export const storeErrors = defineErrors({
  KEDGE_STORE_OPEN:
    'The SQLite file could not be opened; check --data-dir exists, is writable and is not used by another kedge edge.',
  KEDGE_STORE_MIGRATION: 'A schema migration failed and was rolled back; the file may come from a newer kedge.',
  KEDGE_STORE_CLOSED: 'The store is not open; the edge node is starting or has stopped.',
  KEDGE_STORE_CORRUPT_ROW: 'A stored row could not be decoded; it is skipped. Report it with the file if it repeats.',
  KEDGE_STORE_DAMAGED:
    'The SQLite file failed its start-up check and was moved aside; the edge starts empty and the cloud sends its devices again. Check the storage medium (SD card) if it repeats.',
  KEDGE_STORE_DISK_BOUND:
    'edge.disk.maxBytes is too small for the WAL, log and reserve shares plus the files already in the data dir; raise it or lower the shares.',
  KEDGE_STORE_DISK_FULL:
    'The disk (edge.disk.maxBytes or the file system) is full: the oldest readings are dropped to make room; free space or raise the bound.',
  KEDGE_STORE_COMMIT: 'A store commit failed; senders were not acknowledged and send again. See /healthz.',
  KEDGE_STORE_FAILING:
    'Store commits keep failing (not for lack of space): the edge stops with exit code 75 so that its supervisor restarts it and the start-up check repairs the file.',
});
