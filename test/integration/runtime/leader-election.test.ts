// Leader election on a real coordination.k8s.io Lease: one of two electors leads, a clean stop
// hands the lease over at once, and a leader that vanishes without releasing is replaced once
// the lease expires. Assertions read the Lease and the callbacks, never the time things took.
import { afterAll, describe, expect, it } from '@jest/globals';
import winston from 'winston';
import { ApiClient, isConflict, microTime, parseTime } from '../../../controllers/kube/index.ts';
import {
  coordinationLeaseClient,
  LeaderElector,
  type Lease,
  type LeaseClient,
} from '../../../controllers/leader/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';

const cluster = useTestCluster('leader');
const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
const log = winston.createLogger({ silent: true });

const api = new ApiClient(cluster.kc);

function leases(): LeaseClient {
  return coordinationLeaseClient(api);
}

interface Write {
  actor: string;
  lease: Lease;
}

/** The real client, with every successful write remembered in order. */
function recording(actor: string, writes: Write[]): LeaseClient {
  const client = leases();
  return {
    get: (namespace, name) => client.get(namespace, name),
    create: async (lease) => {
      const written = await client.create(lease);
      writes.push({ actor, lease: written });
      return written;
    },
    update: async (lease) => {
      const written = await client.update(lease);
      writes.push({ actor, lease: written });
      return written;
    },
  };
}

interface Candidate {
  elector: LeaderElector;
  events: string[];
  leading: AbortSignal | undefined;
  stop(): Promise<void>;
}

const running: Candidate[] = [];

afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
  await api.close();
});

function start(name: string, identity: string, writes: Write[], releaseOnCancel = true): Candidate {
  const stop = new AbortController();
  const c: Candidate = {
    elector: new LeaderElector({
      client: recording(identity, writes),
      namespace: cluster.namespace,
      name,
      identity,
      ...timings,
      log,
      releaseOnCancel,
      onStartedLeading: (signal) => {
        c.leading = signal;
        c.events.push('started');
      },
      onStoppedLeading: () => c.events.push('stopped'),
      onNewLeader: (id) => c.events.push(`leader:${id}`),
    }),
    events: [],
    leading: undefined,
    stop: async () => {
      stop.abort();
      await done;
    },
  };
  const done = c.elector.run(stop.signal);
  running.push(c);
  return c;
}

async function readLease(name: string): Promise<Lease> {
  const lease = await leases().get(cluster.namespace, name);
  if (!lease?.spec) throw new Error(`lease ${name} does not exist`);
  return lease;
}

function until(what: string, probe: () => boolean, explain?: () => string): Promise<true> {
  return waitFor(() => probe() || undefined, { timeoutMs: 60_000, what, describe: explain });
}

describe('leader election on a Lease', () => {
  it('hands over on release and takes over from a crashed leader after expiry', async () => {
    const name = 'kcloud-manager';
    const writes: Write[] = [];
    const history = () =>
      writes.map((w) => `${w.actor}: ${JSON.stringify(w.lease.spec)}`).join('\n');

    // One leads, the other follows.
    const a = start(name, 'a', writes);
    await until('a to lead', () => a.elector.isLeader(), history);
    const b = start(name, 'b', writes, false);
    await until('b to see a lead', () => b.events.includes('leader:a'), history);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    const acquired = await readLease(name);
    expect(acquired.spec?.holderIdentity).toBe('a');
    expect(acquired.spec?.leaseDurationSeconds).toBe(3);
    expect(acquired.spec?.leaseTransitions).toBe(0);
    // The six fraction digits the API server requires of a MicroTime.
    expect(acquired.spec?.acquireTime).toMatch(/\.\d{6}Z$/);

    // Renewals move renewTime and keep acquireTime.
    const renewed = await waitFor(
      async () => {
        const lease = await readLease(name);
        return parseTime(lease.spec?.renewTime) !== parseTime(acquired.spec?.renewTime) && lease;
      },
      { timeoutMs: 60_000, what: 'a renewal of the lease', describe: history },
    );
    expect(renewed.spec?.holderIdentity).toBe('a');
    expect(parseTime(renewed.spec?.acquireTime)).toBe(parseTime(acquired.spec?.acquireTime));
    expect(b.elector.isLeader()).toBe(false);

    // A clean stop releases the lease and the follower takes it over.
    await a.stop();
    expect(a.events).toEqual(['leader:a', 'started', 'stopped']);
    expect(a.leading?.aborted).toBe(true);
    const release = writes.filter((w) => w.actor === 'a').at(-1)?.lease.spec;
    expect(release?.holderIdentity).toBe('');
    expect(release?.leaseDurationSeconds).toBe(1);
    expect(release?.leaseTransitions).toBe(0);

    await until('b to lead', () => b.elector.isLeader(), history);
    expect(b.events).toEqual(['leader:a', 'leader:b', 'started']);
    const handedOver = await readLease(name);
    expect(handedOver.spec?.holderIdentity).toBe('b');
    expect(handedOver.spec?.leaseTransitions).toBe(1);
    expect(handedOver.spec?.leaseDurationSeconds).toBe(3);
    const releaseIndex = writes.findIndex((w) => w.lease.spec === release);
    expect(writes[releaseIndex + 1]?.actor).toBe('b');
    expect(writes[releaseIndex + 1]?.lease.spec?.leaseTransitions).toBe(1);

    // b vanishes without releasing; a started again waits for the lease to expire.
    await b.stop();
    expect(b.events).toEqual(['leader:a', 'leader:b', 'started', 'stopped']);
    const abandoned = await readLease(name);
    expect(abandoned.spec?.holderIdentity).toBe('b');
    expect(abandoned.spec?.leaseDurationSeconds).toBe(3);

    const again = start(name, 'a', writes);
    await until('a to lead again', () => again.elector.isLeader(), history);
    expect(again.events).toEqual(['leader:b', 'leader:a', 'started']);
    const takenOver = await readLease(name);
    expect(takenOver.spec?.holderIdentity).toBe('a');
    expect(takenOver.spec?.leaseTransitions).toBe(2);
    expect(parseTime(takenOver.spec?.acquireTime)).toBeGreaterThan(
      parseTime(handedOver.spec?.acquireTime) ?? Infinity,
    );
    const lastOfB = writes.filter((w) => w.actor === 'b').at(-1)?.lease;
    expect(lastOfB?.spec?.holderIdentity).toBe('b');
    expect(lastOfB?.metadata.resourceVersion).toBe(abandoned.metadata.resourceVersion);

    await again.stop();
    expect((await readLease(name)).spec?.holderIdentity).toBe('');
  });

  it('writes only over the resourceVersion it read', async () => {
    const client = leases();
    expect(await client.get(cluster.namespace, 'missing')).toBeUndefined();

    const nowMs = Date.now();
    const now = microTime(nowMs);
    const created = await client.create({
      metadata: { namespace: cluster.namespace, name: 'contended' },
      spec: { holderIdentity: 'x', leaseDurationSeconds: 5, acquireTime: now, renewTime: now },
    });
    const read = await client.get(cluster.namespace, 'contended');
    expect(parseTime(read?.spec?.renewTime)).toBe(nowMs);
    if (!read?.spec) throw new Error('lease not read back');

    read.spec.holderIdentity = 'y';
    const updated = await client.update(read);
    expect(updated.spec?.holderIdentity).toBe('y');
    expect(parseTime(updated.spec?.acquireTime)).toBe(nowMs);

    if (!created.spec) throw new Error('lease not created');
    created.spec.holderIdentity = 'z';
    const stale = await client.update(created).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isConflict(stale)).toBe(true);
    expect((await client.get(cluster.namespace, 'contended'))?.spec?.holderIdentity).toBe('y');
  });
});
