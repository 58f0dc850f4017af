import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import winston from 'winston';
import { ApiError, FakeClock, type Lease, type LeaseClient } from '../../controllers/index.ts';
import { Heartbeats } from './heartbeats.ts';

/** Leases in memory with the API server's resourceVersion check; every call noted with its time. */
function recordingLeases(clock: FakeClock) {
  const stored = new Map<string, Lease>();
  const calls: string[] = [];
  let version = 0;
  let failNextUpdate = false;
  const keep = (l: Lease) => {
    const copy = structuredClone(l);
    copy.metadata.resourceVersion = String(++version);
    stored.set(copy.metadata.name ?? '', copy);
    return Promise.resolve(structuredClone(copy));
  };
  const client: LeaseClient = {
    get: (_ns, name) => {
      calls.push(`${String(clock.now())} get ${name}`);
      return Promise.resolve(structuredClone(stored.get(name)));
    },
    create: (lease) => {
      calls.push(`${String(clock.now())} create ${lease.metadata.name ?? ''}`);
      return keep(lease);
    },
    update: (lease) => {
      const name = lease.metadata.name ?? '';
      calls.push(`${String(clock.now())} update ${name}`);
      if (
        failNextUpdate ||
        stored.get(name)?.metadata.resourceVersion !== lease.metadata.resourceVersion
      ) {
        failNextUpdate = false;
        return Promise.reject(new ApiError(409, { reason: 'Conflict', message: 'stale' }, 'PUT'));
      }
      return keep(lease);
    },
  };
  return {
    client,
    calls,
    failNextUpdate: () => {
      failNextUpdate = true;
    },
  };
}

const quiet = winston.createLogger({
  transports: [
    new winston.transports.Stream({
      stream: new Writable({
        write: (_c, _e, done) => {
          done();
        },
      }),
    }),
  ],
});

describe('Heartbeats', () => {
  it('renews each host every interval, the hosts spread evenly over it, reading a Lease only once', async () => {
    const clock = new FakeClock(0);
    const leases = recordingLeases(clock);
    const beats = new Heartbeats({
      client: leases.client,
      namespace: 'kcloud-hosts',
      hosts: ['h-1', 'h-2', 'h-3', 'h-4'],
      intervalMs: 1000,
      clock,
      log: quiet,
    });
    const stop = new AbortController();
    const running = beats.run(stop.signal);
    await clock.advance(1999);
    expect(leases.calls).toEqual([
      '0 get h-1',
      '0 create h-1',
      '250 get h-2',
      '250 create h-2',
      '500 get h-3',
      '500 create h-3',
      '750 get h-4',
      '750 create h-4',
      '1000 update h-1',
      '1250 update h-2',
      '1500 update h-3',
      '1750 update h-4',
    ]);
    expect(beats.fresh()).toBe(true);
    stop.abort();
    await clock.advance(1000);
    await running;
  });

  it('reads the Lease again after a renewal failed', async () => {
    const clock = new FakeClock(0);
    const leases = recordingLeases(clock);
    const beats = new Heartbeats({
      client: leases.client,
      namespace: 'kcloud-hosts',
      hosts: ['h-1'],
      intervalMs: 1000,
      clock,
      log: quiet,
    });
    const stop = new AbortController();
    const running = beats.run(stop.signal);
    await clock.advance(500);
    leases.failNextUpdate();
    await clock.advance(2000);
    expect(leases.calls).toEqual([
      '0 get h-1',
      '0 create h-1',
      '1000 update h-1',
      '2000 get h-1',
      '2000 update h-1',
    ]);
    stop.abort();
    await clock.advance(1000);
    await running;
  });
});
