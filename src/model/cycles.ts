/** Collect/report cycle when a property does not give one (KubeEdge's mapper default, 1 s). */
export const DEFAULT_CYCLE_MS = 1000;
/**
 * The longest cycle: Node's timers take at most 2^31 - 1 ms (about 24.8 days); a longer one fires
 * at once (with a TimeoutOverflowWarning), which made a mapper poll as fast as it could.
 */
export const MAX_CYCLE_MS = 2_147_483_647;
const NS_PER_MS = 1_000_000;

export interface NormalizedCycle {
  ms: number;
  /** True when the YAML value could only be legacy nanoseconds (KubeEdge before v1.19) and was converted. */
  convertedFromNs: boolean;
}

/**
 * `collectCycle`/`reportCycle` are milliseconds. A value >= 1,000,000 that is a whole multiple of
 * 1,000,000 can only be legacy nanoseconds (nobody polls every 16.7 minutes to the millisecond),
 * so it is converted; old YAML would otherwise silently poll a million times too slowly.
 * Missing or 0 (Go's zero value) means the default.
 */
export function normalizeCycle(value: number | undefined): NormalizedCycle {
  if (value === undefined || value === 0) return { ms: DEFAULT_CYCLE_MS, convertedFromNs: false };
  if (value >= NS_PER_MS && value % NS_PER_MS === 0) return { ms: value / NS_PER_MS, convertedFromNs: true };
  return { ms: value, convertedFromNs: false };
}
