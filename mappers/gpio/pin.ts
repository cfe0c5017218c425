import type { PropertyInstance, PropertyValue } from '../../src/model/index.js';
import type { Edge, GpioLine, Level } from './backend.js';
import type { GpioVisitorConfig } from '../../src/model/index.js';

/** One property's pin: its visitor settings, and at run time its open line and debounce state. */
export interface Pin {
  property: PropertyInstance;
  pin: number;
  direction: 'in' | 'out';
  edge: Edge;
  activeLow: boolean;
  debounceMs: number;
  line?: GpioLine;
  /** Last value reported (logical), for on-change reports. */
  reported?: Level;
  debounceTimer?: unknown;
}

export function pinOf(p: PropertyInstance): Pin {
  const v = p.visitor as GpioVisitorConfig;
  return {
    property: p,
    pin: v.pin,
    direction: v.direction,
    edge: v.direction === 'in' ? (v.edge ?? 'none') : 'none',
    activeLow: v.activeLow ?? false,
    debounceMs: v.direction === 'in' ? (v.debounceMs ?? 0) : 0,
  };
}

/** A level as the property's type: BOOLEAN true/false, anything else 1/0. */
export function valueOfLevel(p: PropertyInstance, level: Level): PropertyValue {
  return p.type === 'BOOLEAN' ? level === 1 : level;
}

/** A desired value as a level: true, non-zero numbers, "true"/"1"/"on"/"high" are 1. */
export function levelOf(value: PropertyValue): Level | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value === 0 ? 0 : value === 1 ? 1 : undefined;
  const t = value.trim().toLowerCase();
  if (['1', 'true', 'on', 'high'].includes(t)) return 1;
  if (['0', 'false', 'off', 'low'].includes(t)) return 0;
  return undefined;
}
