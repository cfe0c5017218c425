import type { MsgTwin, TwinUpdate } from '../../contracts/index.js';
import { errorText } from '../../core/errors/index.js';
import { parsePropertyValue, type PropertyType } from '../../model/index.js';
import type { TwinRecord } from '../store/index.js';
import { ResultCode } from './errors.js';

/**
 * KubeEdge's optional twins (edge/pkg/devicetwin/dtmanager/twin.go dealTwinAdd, dealTwinDelete):
 * a twin/update for a property the DeviceModel lacks creates a twin of its own, typed by the
 * message's `metadata.type` (string when absent) and never cleansed; `"<name>": null` deletes it.
 */

/** KubeEdge's types (dtcommon ValidateValue) and kedge's own lower-cased, as the value is checked. */
const TYPES: Record<string, PropertyType> = {
  string: 'STRING',
  int: 'INT',
  integer: 'INT',
  float: 'FLOAT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  bytes: 'BYTES',
};
/** KubeEdge's twin key rule (dtcommon ValidateTwinKey). */
const KEY = /^[a-zA-Z0-9\-_.,:/@#]{1,128}$/;
/** Optional twins one device may hold: hostile or buggy clients cannot grow a twin without bound. */
export const MAX_OPTIONAL_TWINS = 256;

type Entry = TwinUpdate['twin'][string];
type Problem = { code: number; reason: string };

/** The live optional twin of a record (a deleted one is not). */
export function liveOptional(rec: TwinRecord | undefined): TwinRecord['optional'] | undefined {
  return rec?.optional && !rec.optional.deleted ? rec.optional : undefined;
}

/** Checks one entry of a twin/update for a name the model lacks; undefined when it may be applied. */
export function checkOptional(
  deviceId: string,
  name: string,
  entry: Entry,
  rec: TwinRecord | undefined,
  liveCount: number,
): Problem | undefined {
  if (entry === null) {
    if (liveOptional(rec)) return undefined;
    return { code: ResultCode.badRequest, reason: `device ${deviceId} has no twin ${name} to delete` };
  }
  if (!KEY.test(name))
    return {
      code: ResultCode.badRequest,
      reason: `twin name ${JSON.stringify(name)}: letters, digits and - _ . , : / @ # only, at most 128 (KubeEdge's rule)`,
    };
  const type = typeOf(entry, rec);
  if (!TYPES[type])
    return {
      code: ResultCode.badRequest,
      reason: `twin.${name}.metadata.type ${type} is not one of ${Object.keys(TYPES).join(', ')}`,
    };
  if (!liveOptional(rec) && liveCount >= MAX_OPTIONAL_TWINS)
    return {
      code: ResultCode.badRequest,
      reason: `device ${deviceId} holds ${MAX_OPTIONAL_TWINS} twins its DeviceModel lacks already; add ${name} to the model instead`,
    };
  // expected beside actual is a mapper's observed desired value: not applied, so not checked.
  for (const [which, v] of [
    ['expected', entry.actual ? undefined : entry.expected],
    ['actual', entry.actual],
  ] as const) {
    if (!v) continue;
    try {
      parsePropertyValue(TYPES[type]!, v.value);
    } catch (err) {
      return { code: ResultCode.badRequest, reason: `twin.${name}.${which}.value: ${errorText(err)}` };
    }
  }
  return undefined;
}

function typeOf(entry: NonNullable<Entry>, rec: TwinRecord | undefined): string {
  return (entry.metadata?.type || liveOptional(rec)?.type || 'string').toLowerCase();
}

/**
 * Applies an entry to an optional twin's record: `actual` is its reported value (good: nothing
 * cleanses it), `expected` its desired value; null deletes both. Returns what the cloud is told.
 */
export function applyOptional(
  rec: TwinRecord,
  entry: Entry,
  now: number,
  eventTs: number,
): { reported?: TwinRecord['reported']; desired?: NonNullable<TwinRecord['desired']>; deleted?: true } {
  if (entry === null) {
    rec.optional = { type: rec.optional?.type ?? 'string', deleted: true };
    delete rec.reported;
    delete rec.desired;
    delete rec.pending;
    delete rec.failed;
    return { deleted: true };
  }
  rec.optional = { type: typeOf(entry, rec) };
  const out: ReturnType<typeof applyOptional> = {};
  if (entry.actual) {
    const ts = entry.actual.metadata?.timestamp ?? eventTs;
    rec.reported = { value: entry.actual.value, quality: 'good', ts, version: (rec.reported?.version ?? 0) + 1 };
    out.reported = rec.reported;
  }
  if (entry.expected) {
    rec.edgeVersion++;
    rec.desired = { value: entry.expected.value, ts: now, version: rec.cloudVersion + rec.edgeVersion, source: 'edge' };
    out.desired = rec.desired;
  }
  return out;
}

/** An optional twin in KubeEdge's message shape. */
export function optionalMsgTwin(rec: TwinRecord): MsgTwin {
  const out: MsgTwin = {};
  if (rec.desired) out.expected = { value: rec.desired.value, metadata: { timestamp: rec.desired.ts } };
  if (rec.reported) out.actual = { value: rec.reported.value, metadata: { timestamp: rec.reported.ts } };
  out.optional = true;
  out.metadata = { type: rec.optional?.type ?? 'string' };
  out.expected_version = { cloud: rec.cloudVersion, edge: rec.edgeVersion };
  out.actual_version = { cloud: 0, edge: rec.reported?.version ?? 0 };
  return out;
}
