import { defineErrors } from '../../core/errors/index.js';

export const edgehubErrors = defineErrors({
  KEDGE_EDGEHUB_BAD_URL: 'The --cloud URL must be ws://HOST:PORT or wss://HOST:PORT (CloudHub, default port 10000).',
  KEDGE_EDGEHUB_MALFORMED_FRAME:
    'The cloud sent a frame that is not a beehive message; check both sides run the same kedge version.',
  KEDGE_EDGEHUB_FRAME_TOO_BIG: 'The cloud sent a frame above the size limit; raise the limit on both sides.',
  KEDGE_EDGEHUB_ENTRY_TOO_BIG:
    'An outbox entry is larger than a link frame may be; it was removed so that it cannot block the link.',
  KEDGE_EDGEHUB_BAD_CALL: {
    status: 400,
    hint: 'The cloud sent a ServiceBus call this edge cannot read; check both sides run the same kedge version.',
  },
  KEDGE_EDGEHUB_CALL_FAILED: { status: 502, hint: 'A ServiceBus call failed on the edge; see the edge log.' },
  KEDGE_EDGEHUB_ANSWER_TOO_BIG: {
    status: 502,
    hint: 'The target answered more than a link frame carries; ask for less (a range, a page) or raise the frame limit on both sides.',
  },
  KEDGE_EDGEHUB_BAD_LOGS: {
    status: 400,
    hint: 'The cloud sent a log request this edge cannot read; check both sides run the same kedge version.',
  },
  KEDGE_EDGEHUB_LOGS_TOO_SLOW: {
    status: 502,
    hint: 'The link could not keep up with the log stream, which was ended; ask for less (--tail) or follow a quieter container.',
  },
  KEDGE_EDGEHUB_UNKNOWN_QUERY: {
    status: 400,
    hint: 'The cloud asked this edge a question it does not answer; upgrade the edge to the cloud’s version.',
  },
  KEDGE_EDGEHUB_REFUSED: 'The cloud refused a message for good (ok: false); it was removed from the outbox.',
});
