import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../container/engine.js';
import { podStatus, terminatedOf, type SlotView } from './status.js';

const info = (over: Partial<ContainerInfo>): ContainerInfo => ({
  id: 'c1',
  name: 'n',
  image: 'img',
  labels: {},
  state: 'running',
  running: true,
  exitCode: 0,
  oomKilled: false,
  error: '',
  startedAt: '2026-01-01T00:00:00Z',
  ...over,
});
const slot = (over: Partial<SlotView>): SlotView => ({ name: 'app', image: 'img', restarts: 0, final: false, ...over });
const T0 = '2026-01-01T00:00:00.000Z';

describe('pod status from its containers', () => {
  it('Pending until every container has started; Running and Ready when all run', () => {
    const pending = podStatus([slot({ info: info({}) }), slot({ name: 'side' })], T0);
    expect(pending.phase).toBe('Pending');
    expect(pending.containerStatuses[1]!.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    const running = podStatus([slot({ id: 'c1', info: info({}) })], T0);
    expect(running).toMatchObject({
      phase: 'Running',
      conditions: expect.arrayContaining([{ type: 'Ready', status: 'True' }]),
    });
    expect(running.containerStatuses[0]).toMatchObject({
      ready: true,
      containerID: 'docker://c1',
      state: { running: {} },
    });
  });

  it('a container in back-off keeps the Pod Running, says why and shows how it last ended', () => {
    const s = podStatus(
      [
        slot({
          restarts: 2,
          info: info({ running: false, state: 'exited', exitCode: 3, finishedAt: T0 }),
          waiting: {
            reason: 'CrashLoopBackOff',
            message: 'back-off 20s restarting failed container app: exited with code 3',
          },
        }),
      ],
      T0,
    );
    expect(s).toMatchObject({
      phase: 'Running',
      reason: 'CrashLoopBackOff',
      message: expect.stringContaining('exited with code 3'),
    });
    expect(s.containerStatuses[0]).toMatchObject({
      ready: false,
      restartCount: 2,
      lastState: { terminated: { exitCode: 3, reason: 'Error' } },
    });
  });

  it('Succeeded when all ended with 0 for good, Failed when one did not', () => {
    const done = (code: number) =>
      slot({ final: true, info: info({ running: false, state: 'exited', exitCode: code }) });
    expect(podStatus([done(0), done(0)], T0).phase).toBe('Succeeded');
    expect(podStatus([done(0), done(1)], T0).phase).toBe('Failed');
  });

  it('names the likely cause of a SIGKILL under a memory limit, or the OOM kill the engine reports', () => {
    expect(terminatedOf(info({ running: false, exitCode: 137 }), 64 << 20)).toMatchObject({
      reason: 'Error',
      signal: 9,
      message: expect.stringContaining('memory limit of 67108864 bytes'),
    });
    expect(terminatedOf(info({ running: false, exitCode: 137, oomKilled: true })).reason).toBe('OOMKilled');
    expect(terminatedOf(info({ running: false, exitCode: 137 })).message).toBeUndefined();
  });
});
