/**
 * Event ids for what a mapper publishes (`event_id`): UUID-shaped, unique per message. A random
 * per-process prefix plus a counter instead of crypto.randomUUID: loading node:crypto initialises
 * OpenSSL, about 2 MB of a mapper's RSS for ids nothing verifies (bench/RESULTS.md, "Modbus").
 * V8 seeds Math.random from the OS at start, so two processes get different prefixes.
 */
export function eventIds(random: () => number = Math.random): () => string {
  const hex = (digits: number) => Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');
  const prefix = `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(random() * 4)).toString(16)}${hex(3)}-`;
  let counter = Math.floor(random() * 0x1000000); // not from 0: restarts do not reuse the first ids
  return () => {
    counter = (counter + 1) % 0x1000000000000;
    return prefix + counter.toString(16).padStart(12, '0');
  };
}
