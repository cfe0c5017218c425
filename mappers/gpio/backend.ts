/**
 * The narrow view of GPIO hardware the driver needs. Values are logical: the backend applies
 * `activeLow` (as the kernel's sysfs active_low does), so edges are logical edges too.
 */
export type Level = 0 | 1;
export type Direction = 'in' | 'out';
export type Edge = 'none' | 'rising' | 'falling' | 'both';

export interface LineOptions {
  direction: Direction;
  edge: Edge;
  activeLow: boolean;
  /** The device's `chip` (configData): the pin is then a line offset in that chip. */
  chip?: string | number;
}

export type WatchCallback = (err: Error | null, value: Level) => void;

export interface GpioLine {
  read(): Promise<Level>;
  write(value: Level): Promise<void>;
  /** Called on each edge the line was opened for (never for edge none). */
  watch(cb: WatchCallback): void;
  unwatch(): void;
  /** Releases the pin (unexport). */
  close(): Promise<void>;
}

export interface GpioBackend {
  readonly name: string;
  /** False on a machine without GPIO: the driver then reports its devices offline, once. */
  readonly accessible: boolean;
  /** Opens `pin` (a line offset when `options.chip` is set); fails with KEDGE_GPIO_NO_CHIP for a chip it does not have. */
  open(pin: number, options: LineOptions): Promise<GpioLine>;
  /** Releases what the backend holds (a control connection); lines are closed by the driver. */
  dispose(): Promise<void>;
}

/** Whether a logical transition `from` -> `to` is one the edge setting reports. */
export function edgeMatches(edge: Edge, from: Level, to: Level): boolean {
  if (from === to || edge === 'none') return false;
  if (edge === 'both') return true;
  return edge === 'rising' ? to === 1 : to === 0;
}
