import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { EdgeChannels, EdgeRequests } from '../../../contracts/index.js';
import { Bus } from '../../../core/bus/index.js';
import { silentLogger } from '../../../core/log/index.js';
import { edgedErrors } from '../errors.js';
import { LogStreams } from './log-streams.js';
import type { PodManager } from './pod-manager.js';

const me = { name: 't', group: 't' };

function setup(open: () => Promise<PassThrough>) {
  const bus = new Bus<EdgeChannels, EdgeRequests>({ logger: silentLogger() });
  const events: string[] = [];
  bus.subscribe('logs.data', me, (e) => void events.push(`data ${e.data}`));
  bus.subscribe('logs.end', me, (e) => void events.push(`end ${e.error?.code ?? 'ok'}`));
  const pods = { logs: open } as unknown as PodManager;
  return { streams: new LogStreams(bus, () => pods), events };
}
const req = { streamId: 's1', namespace: 'default', name: 'p', follow: true };

describe('log streams on the edge', () => {
  it('sends text in pieces and the end', async () => {
    const stream = new PassThrough();
    const { streams, events } = setup(async () => stream);
    await streams.start(req);
    stream.write('a\n');
    stream.write('b\n');
    stream.end();
    await new Promise((r) => setTimeout(r, 80));
    expect(events).toEqual(['data a\nb\n', 'end ok']);
  });

  it('a stop that comes while the stream is being opened ends it, and nothing is sent', async () => {
    const stream = new PassThrough();
    let release!: () => void;
    const { streams, events } = setup(() => new Promise((r) => (release = () => r(stream))));
    const started = streams.start(req);
    streams.stop('s1');
    release();
    await started;
    expect(stream.destroyed).toBe(true);
    expect(events).toEqual([]);
  });

  it('says why a stream could not be opened', async () => {
    const { streams, events } = setup(async () => {
      throw Object.assign(new Error('no such container'), { code: 'X' });
    });
    await streams.start(req);
    expect(events).toEqual(['end KEDGE_EDGED_LOGS']);
  });

  it("ends with the error's code, status and hint, which the cloud API answers with", async () => {
    const bus = new Bus<EdgeChannels, EdgeRequests>({ logger: silentLogger() });
    const ends: Array<EdgeChannels['logs.end']> = [];
    bus.subscribe('logs.end', me, (e) => void ends.push(e));
    const pods = {
      logs: async () => {
        throw edgedErrors.create('KEDGE_EDGED_NO_POD', 'pod default/p is not on node n1');
      },
    } as unknown as PodManager;
    await new LogStreams(bus, () => pods).start(req);
    expect(ends).toEqual([
      {
        streamId: 's1',
        error: {
          code: 'KEDGE_EDGED_NO_POD',
          message: 'pod default/p is not on node n1',
          status: 404,
          hint: edgedErrors.hints.KEDGE_EDGED_NO_POD,
        },
      },
    ]);
    const none = new LogStreams(bus, () => undefined);
    await none.start({ ...req, streamId: 's2' });
    expect(ends[1]?.error).toMatchObject({ code: 'KEDGE_EDGED_NO_ENGINE', status: 503 });
  });
});
