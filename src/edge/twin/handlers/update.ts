// Mirrors KubeEdge edge/pkg/devicetwin/dtmanager/twin.go: dealTwinUpdate / DealDeviceTwin
// (a `twin/update` from a mapper or an edge app) and dealVersion (optimistic concurrency).
import {
  type EdgeChannels,
  edgeTopics,
  type MsgTwin,
  type RawReading,
  type TwinUpdate,
  type TwinDocument,
} from '../../../contracts/index.js';
import { errorText } from '../../../core/errors/index.js';
import { parsePropertyValue } from '../../../model/index.js';
import type { TwinRecord } from '../../store/index.js';
import type { DeviceTwin } from '../book.js';
import { LOCAL_DESIRED_ANNOTATION, type TwinContext } from '../context.js';
import { publishDelta, setDesired } from '../desired.js';
import { ResultCode } from '../errors.js';
import { errorResult, eventBase, msgTwin } from '../messages.js';
import { applyOptional, checkOptional, liveOptional, optionalMsgTwin } from '../optional.js';

/**
 * Expected values become desired values (when the device allows edge apps to set them); actual
 * values are readings, cleansed by the pipeline into `reported`. The update is checked whole
 * first: one bad property refuses all of it, with KubeEdge's result codes.
 */
export function onTwinUpdate(ctx: TwinContext, { deviceId, message }: EdgeChannels['twin.update']): void {
  const now = ctx.now();
  const resultTopic = edgeTopics.twinUpdateResult(deviceId);
  const twin = ctx.twin(deviceId);
  if (!twin)
    return ctx.publish(
      resultTopic,
      errorResult(now, ResultCode.notFound, `device ${deviceId} is not on this node`, message.event_id),
    );
  const problem = checkTwinUpdate(twin, message);
  if (problem) return ctx.publish(resultTopic, errorResult(now, problem.code, problem.reason, message.event_id));
  // A model's twin set to null is left as it is (KubeEdge deletes optional twins only): not in the answer.
  const names = Object.keys(message.twin).filter((n) => message.twin[n] !== null || !twin.props.has(n));
  // A twin with no value yet is `last: null` in the document, as KubeEdge's for a new twin.
  const before = new Map(names.map((n) => [n, msgTwinOf(twin, n)]));
  const desired: Record<string, string> = {};
  const readings: RawReading[] = [];
  for (const [name, t] of Object.entries(message.twin)) {
    if (!twin.props.has(name)) {
      updateOptional(ctx, twin, name, t, message.timestamp);
      continue;
    }
    if (t === null) continue;
    if (isDesiredRequest(t)) desired[name] = t.expected!.value;
    if (t.actual) {
      const prop = twin.props.get(name)!;
      readings.push({
        property: name,
        value: parsePropertyValue(prop.type, t.actual.value),
        quality: 'good',
        ts: t.actual.metadata?.timestamp ?? message.timestamp,
      });
    }
  }
  const desiredSet = Object.keys(desired).length > 0;
  if (desiredSet) setDesired(ctx, deviceId, desired, 'edge');
  // A handler does not feed the pipeline while the bus delivers to it: the actual values go in
  // once this handler has returned, and the result is built after them.
  queueMicrotask(() => {
    try {
      // The pipeline answers synchronously: the values it cleanses now are this update's, and go
      // into this update's one document (with the request's event_id), not one of their own.
      ctx.answering = deviceId;
      try {
        if (readings.length > 0) ctx.deps.bus.publish('device.readings', { deviceId, readings, source: 'twin' });
      } finally {
        ctx.answering = undefined;
      }
      answer(ctx, twin, message, before, desiredSet);
    } catch (err) {
      ctx.deps.logger.error({ deviceId, err: errorText(err) }, 'twin/update not answered');
    }
  });
}

/** The result (the properties as they are now) and the document (before and after). */
function answer(
  ctx: TwinContext,
  twin: DeviceTwin,
  message: TwinUpdate,
  before: Map<string, MsgTwin | null>,
  desiredSet: boolean,
): void {
  const deviceId = twin.device.instance.id;
  const now = ctx.now();
  // A deleted twin is `null` in the result and `current: null` in the document (dealTwinDelete).
  const result: TwinUpdate['twin'] = {};
  const doc: TwinDocument['twin'] = {};
  for (const [n, last] of before) {
    const current = msgTwinOf(twin, n);
    result[n] = current;
    doc[n] = { last, current };
  }
  ctx.publish(edgeTopics.twinUpdateResult(deviceId), {
    event_id: message.event_id,
    timestamp: now,
    twin: result,
  } satisfies TwinUpdate);
  ctx.publish(edgeTopics.twinUpdateDocument(deviceId), {
    ...eventBase(now, message.event_id),
    twin: doc,
  } satisfies TwinDocument);
  // KubeEdge builds the delta after every twin update and sends it while expected != actual
  // (dttype BuildDeviceTwinDelta): a mapper that reports gets the values it has not applied again.
  if (!desiredSet) publishDelta(ctx, twin);
}

/** A twin in KubeEdge's message shape; null for one that has no value yet or was deleted. */
function msgTwinOf(twin: DeviceTwin, name: string): MsgTwin | null {
  const rec = twin.records.get(name);
  const prop = twin.props.get(name);
  if (!prop) return liveOptional(rec) ? optionalMsgTwin(rec!) : null;
  return rec?.desired || rec?.reported ? msgTwin(prop, rec) : null;
}

/**
 * KubeEdge's optional twin (dealTwinAdd, dealTwinDelete): an entry for a name the model lacks is
 * applied as it is (no cleansing: there is no model property to cleanse by) and reported.
 */
function updateOptional(
  ctx: TwinContext,
  twin: DeviceTwin,
  name: string,
  entry: TwinUpdate['twin'][string],
  eventTs: number,
): void {
  const id = twin.device.instance.id;
  const rec = ctx.record(twin, name);
  // `expected` beside `actual` is a mapper's observed desired value: never a new desired value.
  let applied = entry;
  if (entry && !isDesiredRequest(entry)) {
    const { expected: _observed, ...rest } = entry;
    applied = rest;
  }
  const { reported, desired, deleted } = applyOptional(rec, applied, ctx.now(), eventTs);
  ctx.book.touch(id, name);
  ctx.book.report(
    id,
    name,
    {
      optional: true,
      deleted: deleted ?? false,
      ...(reported ? { reported } : {}),
      ...(desired
        ? {
            desired: { value: desired.value, ts: desired.ts, version: desired.version },
            desiredSource: 'edge' as const,
          }
        : {}),
    },
    desired !== undefined || deleted === true,
  );
}

function checkTwinUpdate(twin: DeviceTwin, message: TwinUpdate): { code: number; reason: string } | undefined {
  const id = twin.device.instance.id;
  let optionals = [...twin.records].filter(([n, r]) => !twin.props.has(n) && liveOptional(r)).length;
  for (const [name, t] of Object.entries(message.twin)) {
    const prop = twin.props.get(name);
    if (!prop) {
      // KubeEdge's optional twin: created, updated or deleted, never cleansed.
      const rec = twin.records.get(name);
      const problem = checkOptional(id, name, t, rec, optionals);
      if (problem) return problem;
      if (t !== null && !liveOptional(rec)) optionals++;
      if (t !== null && isDesiredRequest(t) && twin.device.annotations[LOCAL_DESIRED_ANNOTATION] !== 'true')
        return {
          code: ResultCode.forbidden,
          reason: `device ${id} does not allow desired values from the edge (set ${LOCAL_DESIRED_ANNOTATION}: "true")`,
        };
      continue;
    }
    if (t === null) continue;
    if (isDesiredRequest(t)) {
      if (twin.device.annotations[LOCAL_DESIRED_ANNOTATION] !== 'true') {
        return {
          code: ResultCode.forbidden,
          reason: `device ${id} does not allow desired values from the edge (set ${LOCAL_DESIRED_ANNOTATION}: "true")`,
        };
      }
      if (prop.accessMode !== 'ReadWrite')
        return { code: ResultCode.badRequest, reason: `property ${id}/${name} is ReadOnly` };
      const stale = staleVersion(name, t.expected_version, twin.records.get(name));
      if (stale) return { code: ResultCode.conflict, reason: stale };
    }
    // An observed desired value (expected beside actual) is never applied: it is not checked
    // either (mapper-framework sends "" when the mapper holds none).
    for (const [which, v] of [
      ['expected', isDesiredRequest(t) ? t.expected : undefined],
      ['actual', t.actual],
    ] as const) {
      if (!v) continue;
      try {
        parsePropertyValue(prop.type, v.value);
      } catch (err) {
        return { code: ResultCode.badRequest, reason: `twin.${name}.${which}.value: ${errorText(err)}` };
      }
    }
  }
  return undefined;
}

/**
 * KubeEdge's optimistic concurrency for desired values (dealVersion): an update that carries the
 * `expected_version` it read is refused when either side has changed the desired value since
 * (cloud or edge version newer), so two applications cannot overwrite each other unseen. An
 * update without `expected_version` is applied as before.
 */
function staleVersion(
  name: string,
  sent: { cloud: number; edge: number } | undefined,
  rec: TwinRecord | undefined,
): string | undefined {
  if (!sent) return undefined;
  const have = { cloud: rec?.cloudVersion ?? 0, edge: rec?.edgeVersion ?? 0 };
  if (sent.cloud >= have.cloud && sent.edge >= have.edge) return undefined;
  return `twin.${name}.expected_version {cloud: ${sent.cloud}, edge: ${sent.edge}} is older than the twin's {cloud: ${have.cloud}, edge: ${have.edge}}: the desired value changed since it was read; read the twin again (twin/get) and retry`;
}

/**
 * `expected` alone asks for a desired value (an edge application). With `actual` beside it, it is a
 * mapper's report of the desired value it holds (mapper-framework pkg/common/event.go, KubeEdge's
 * DMI bridge): never a new desired value; the `actual` value confirms a pending one it matches.
 */
function isDesiredRequest(t: NonNullable<TwinUpdate['twin'][string]>): boolean {
  return t.expected !== undefined && t.expected !== null && (t.actual === undefined || t.actual === null);
}
