/**
 * Where in its cycle a device is polled: a fixed offset from a hash of its id, so the devices of
 * a line are spread over the cycle instead of all polled at the same instant. 100 devices started
 * together otherwise send their requests in one burst every cycle, and every reading waits behind
 * the whole burst on the line, in the mapper's MQTT client and at the edge. Stateless, so a device
 * keeps its phase when others come and go.
 */
export function pollPhase(deviceId: string, cycleMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) h = Math.imul(h ^ deviceId.charCodeAt(i), 0x01000193);
  // FNV-1a leaves ids that differ in their last characters (dev-001, dev-002) close together in
  // the high bits; a final mix (MurmurHash3's) spreads them.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.floor(((h >>> 0) / 0x1_0000_0000) * cycleMs);
}
