import type { StatusCode } from 'node-opcua';
import type { RawQuality } from '../../src/contracts/index.js';

/**
 * OPC UA status code -> kedge quality. The two top bits of a status code are its severity
 * (00 Good, 01 Uncertain, 10/11 Bad); the status name (e.g. "BadNodeIdUnknown") is the reason
 * users see, because it is what the server's documentation and UaExpert show.
 */
export function qualityOf(status: Pick<StatusCode, 'value' | 'name'>): { quality: RawQuality; reason?: string } {
  const severity = (status.value >>> 30) & 0x3;
  if (severity === 0) return { quality: 'good' };
  if (severity === 1) return { quality: 'uncertain', reason: status.name };
  return { quality: 'bad', reason: status.name };
}
