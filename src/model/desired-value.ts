// Types only: the model's index must not load every protocol's schemas (mappers import it).
import type { WriteLimits } from './protocols/index.js';
import { modelErrors } from './errors.js';
import { parsePropertyValue, type PropertyType } from './property-type.js';

/** What a desired value is checked against: the model's property and the device's visitor. */
export interface DesiredTarget {
  name: string;
  type: PropertyType;
  minimum?: number | undefined;
  maximum?: number | undefined;
  unit?: string | undefined;
}

/**
 * Checks a desired value when it is set (cloud API, edge API) and returns it in its one spelling:
 * booleans `true`/`false` (KubeEdge's 1/0/t/f too), numbers as JavaScript writes them (`021.50`
 * -> `21.5`), so that the device's read-back confirms it. Refused, with one line that says what
 * would be accepted: a value of the wrong type, outside the model's minimum..maximum, outside what
 * the device's register holds after scale, or between two steps of the register's scale.
 * `limits`: the device's, from its protocol (`writeLimitsFor` in ./protocols). Throws
 * KEDGE_MODEL_BAD_VALUE.
 */
export function normalizeDesired(target: DesiredTarget, text: string, limits?: WriteLimits): string {
  let value: ReturnType<typeof parsePropertyValue>;
  try {
    value = parsePropertyValue(target.type, text);
  } catch (err) {
    throw refuse(target, text, (err as Error).message, err);
  }
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    if (limits?.maxLength !== undefined && value.length > limits.maxLength)
      throw refuse(
        target,
        text,
        `${JSON.stringify(value)} is ${value.length} characters; ${limits.source} hold ${limits.maxLength}`,
      );
    return value;
  }
  const unit = target.unit ? ` ${target.unit}` : '';
  const shown = `${fmt(value)}${unit}`;
  if (target.minimum !== undefined && value < target.minimum)
    throw refuse(target, text, `${shown} is below the minimum ${fmt(target.minimum)}${unit}`);
  if (target.maximum !== undefined && value > target.maximum)
    throw refuse(target, text, `${shown} is above the maximum ${fmt(target.maximum)}${unit}`);
  if (limits) checkLimits(target, text, value, limits, unit);
  return fmt(value);
}

function checkLimits(target: DesiredTarget, text: string, value: number, limits: WriteLimits, unit: string): void {
  const shown = `${fmt(value)}${unit}`;
  if (limits.min !== undefined && limits.max !== undefined && (value < limits.min || value > limits.max))
    throw refuse(
      target,
      text,
      `${shown} does not fit the device: ${limits.source} holds ${fmt(limits.min)}..${fmt(limits.max)}${unit}`,
    );
  if (limits.step && limits.step > 0) {
    const origin = limits.origin ?? 0;
    const k = (value - origin) / limits.step;
    if (Math.abs(k - Math.round(k)) > 1e-9 * Math.max(1, Math.abs(k))) {
      const nearest = nearestStep(value, origin, limits.step, target);
      const from = origin !== 0 ? ` from ${fmt(origin)}` : '';
      throw refuse(
        target,
        text,
        `${shown} is not a multiple of ${fmt(limits.step)}${unit}${from} (${limits.source}); nearest ${fmt(nearest)}`,
      );
    }
  }
}

/** The step nearest to `value` that is within the model's range (ties go up). */
function nearestStep(value: number, origin: number, step: number, target: DesiredTarget): number {
  const down = origin + Math.floor((value - origin) / step) * step;
  const up = down + step;
  const inRange = (v: number) =>
    (target.minimum === undefined || v >= target.minimum) && (target.maximum === undefined || v <= target.maximum);
  if (!inRange(up)) return down;
  if (!inRange(down)) return up;
  return value - down < up - value ? down : up;
}

/** A number as a person writes it: no binary noise (250.49999999999997 -> 250.5). */
function fmt(n: number): string {
  return String(Number(n.toPrecision(12)));
}

function refuse(target: DesiredTarget, text: string, why: string, cause?: unknown) {
  return modelErrors.create('KEDGE_MODEL_BAD_VALUE', `${target.name}=${text}: ${why}`, {
    detail: { property: target.name, value: text },
    ...(cause === undefined ? {} : { cause }),
  });
}
