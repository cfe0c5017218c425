// Mirrors KubeEdge edge/pkg/devicetwin/dtmanager/twin.go: DealMsgTwin's actual values and
// dealDocument. In kedge the values come cleansed from the pipeline (`device.cleansed`).
import { type EdgeChannels, edgeTopics, type MsgTwin, type TwinDocument } from '../../../contracts/index.js';
import type { PropertyInstance } from '../../../model/index.js';
import { twinString } from '../../shared/index.js';
import type { TwinRecord } from '../../store/index.js';
import type { TwinContext } from '../context.js';
import { confirm } from '../desired.js';
import { eventBase, msgTwin } from '../messages.js';
import { confirms } from '../values.js';

/** New reported values (journaled), a pending desired value confirmed by one, and the twin document. */
export function onCleansed(ctx: TwinContext, { deviceId, readings }: EdgeChannels['device.cleansed']): void {
  const twin = ctx.twin(deviceId);
  if (!twin) return;
  const now = ctx.now();
  // The document is built only if a client subscribes to it: keep the before-images cheaply.
  // Without a pending desired value only `reported` changes here (and it is replaced, never
  // mutated), so the old reported object is the whole before-image; with one, confirm() may
  // change more, and the record is copied.
  const changes: Array<{
    prop: PropertyInstance;
    rec: TwinRecord;
    before: TwinRecord | undefined;
    reported: TwinRecord['reported'];
  }> = [];
  for (const r of readings) {
    const prop = twin.props.get(r.property);
    if (!prop) continue;
    const rec = ctx.record(twin, r.property);
    const before = rec.pending ? { ...rec } : undefined;
    changes.push({ prop, rec, before, reported: rec.reported });
    const value = r.value === null ? (rec.reported?.value ?? '') : twinString(r.value);
    rec.reported = { value, quality: r.quality, ts: r.ts, version: (rec.reported?.version ?? 0) + 1 };
    if (r.reason && r.quality !== 'good') rec.reported.reason = r.reason;
    ctx.book.noteReported(deviceId, r.property, rec.reported);
    if (rec.pending && r.quality !== 'bad' && confirms(prop.type, rec.pending.value, r.value))
      confirm(ctx, twin, prop, rec);
    else if (rec.failed && rec.desired && r.quality !== 'bad' && confirms(prop.type, rec.desired.value, r.value))
      confirm(ctx, twin, prop, rec); // after its timeout: the delta sent again has been applied
  }
  if (changes.length === 0) return;
  ctx.book.marked(changes.length);
  if (ctx.answering === deviceId) return; // a twin/update's own values: its answer has the document
  ctx.publish(edgeTopics.twinUpdateDocument(deviceId), () => {
    const doc: Record<string, { last: MsgTwin; current: MsgTwin }> = {};
    for (const c of changes)
      doc[c.prop.name] = {
        last: msgTwin(c.prop, c.before ?? { ...c.rec, reported: c.reported }),
        current: msgTwin(c.prop, c.rec),
      };
    return { ...eventBase(now), twin: doc } satisfies TwinDocument;
  });
}
