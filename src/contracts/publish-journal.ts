import { Type, type Static } from '@sinclair/typebox';

/**
 * What one cloud replica leaves in etcd for another (src/cloud/store/etcd-publish-journal.ts):
 * a message's QoS 2 publishes, read by the replica that completes a dead replica's session, which
 * may run another kedge version. Checked where it is read.
 */
export const JournalPacketSchema = Type.Object({
  /** The MQTT packet id the publish went out with (the broker knows it by this id). */
  mid: Type.Integer({ minimum: 1, maximum: 65535 }),
  topic: Type.String({ minLength: 1 }),
  /** The payload as UTF-8 text (kedge's consumer payloads are JSON). */
  payload: Type.String(),
});
export type JournalPacket = Static<typeof JournalPacketSchema>;

/** The value of a message's record: its publishes. */
export const JournalPacketsSchema = Type.Array(JournalPacketSchema);
