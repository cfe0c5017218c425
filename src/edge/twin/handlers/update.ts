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
  const names = Object.keys(message.twin);
  // A twin with no value yet is `last: null` in the document, as KubeEdge's for a new twin.
  const before = new Map(
    names.map((n) => {
      const rec = twin.records.get(n);
      return [n, rec?.desired || rec?.reported ? msgTwin(twin.props.get(n), rec) : null];
    }),
  );
  const desired: Record<string, string> = {};
  const readings: RawReading[] = [];
  for (const [name, t] of Object.entries(message.twin)) {
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
  const result: Record<string, MsgTwin> = {};
  const doc: TwinDocument['twin'] = {};
  for (const [n, last] of before) {
    const current = msgTwin(twin.props.get(n), twin.records.get(n));
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
  if (!desiredSet && [...twin.records.values()].some((r) => r.pending)) publishDelta(ctx, twin);
}

function checkTwinUpdate(twin: DeviceTwin, message: TwinUpdate): { code: number; reason: string } | undefined {
  const id = twin.device.instance.id;
  for (const [name, t] of Object.entries(message.twin)) {
    const prop = twin.props.get(name);
    if (!prop) return { code: ResultCode.badRequest, reason: `device ${id} has no property ${name}` };
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
    for (const [which, v] of [
      ['expected', t.expected],
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
function isDesiredRequest(t: TwinUpdate['twin'][string]): boolean {
  return t.expected !== undefined && t.expected !== null && (t.actual === undefined || t.actual === null);
}
