import { describe, expect, it } from '@jest/globals';
import { hostLabel } from '../api/index.ts';
import { PlacementLedger, placedInstance } from './ledger.ts';
import { GiB, bound, host, input, instance } from './schedule-fixture.ts';
import { decideAndAssume } from './schedule.ts';

const small = { vcpu: 1, memoryBytes: 2 * GiB };
const resolveSmall = () => small;

describe('PlacementLedger', () => {
  it('counts an assumption until the cache shows the binding, then the binding, once', () => {
    const l = new PlacementLedger();
    const i = instance('x');
    l.assume(placedInstance(i, 'a', small));
    expect(l.used('a')).toEqual({ ...small, instances: 1 });
    // The cache still shows the instance unbound (our write is in flight): it stays counted.
    l.observe(i, resolveSmall);
    expect(l.used('a')).toEqual({ ...small, instances: 1 });
    expect(l.isAssumed('uid-x')).toBe(true);
    // The cache shows the label: confirmed, still counted once.
    l.observe(bound(i, 'a'), resolveSmall);
    expect(l.used('a')).toEqual({ ...small, instances: 1 });
    expect(l.isAssumed('uid-x')).toBe(false);
    // Forgetting a confirmed binding does nothing; the informer's delete does.
    l.forget('uid-x');
    expect(l.used('a').instances).toBe(1);
    l.remove('uid-x');
    expect(l.used('a')).toEqual({ vcpu: 0, memoryBytes: 0, instances: 0 });
  });

  it('gives the share back when the binding write fails', () => {
    const l = new PlacementLedger();
    l.assume(placedInstance(instance('x'), 'a', small));
    l.forget('uid-x');
    expect(l.used('a').instances).toBe(0);
    expect(l.size()).toEqual({ instances: 0, assumed: 0 });
  });

  it('reads what a bound instance holds from status.allocated, else from its spec', () => {
    const l = new PlacementLedger();
    l.observe(bound(instance('x'), 'a', 3, 6), resolveSmall);
    const labelOnly = instance('y', {}, { [hostLabel]: 'a' });
    l.observe(labelOnly, resolveSmall);
    expect(l.used('a')).toEqual({ vcpu: 4, memoryBytes: 8 * GiB, instances: 2 });
    // Unbound by someone else (an evacuation): dropped.
    l.observe(instance('x'), resolveSmall);
    expect(l.used('a')).toEqual({ ...small, instances: 1 });
  });
});

describe('a burst of 200 instances onto 10 hosts, before the cache shows any binding', () => {
  // Each host takes 16 vCPUs and 64 GiB: 160 instances of 1 vCPU and 2 GiB fit, 40 do not.
  const hosts = Array.from({ length: 10 }, (_, k) => host(`h${String(k)}`, { vcpu: 16 }));
  const capacity = new Map(hosts.map((h) => [h.name, h.allocatable]));

  // A deterministic pseudo-random sequence, so the interleaving is the same on every run.
  function lcg(seed: number): () => number {
    let s = seed;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  it('never over-commits a host, with failed writes and the cache catching up out of order', () => {
    const ledger = new PlacementLedger();
    const rand = lcg(12);
    const instances = Array.from({ length: 200 }, (_, k) => instance(`i${String(k)}`));
    /** The API server's truth: instance name → host, for writes that succeeded. */
    const written = new Map<string, string>();
    /** Writes in flight, completed in random order. */
    const inFlight: { name: string; host: string; fails: boolean }[] = [];
    let pending = [...instances];
    let waits = 0;

    const complete = (n: number) => {
      for (let k = 0; k < n && inFlight.length > 0; k++) {
        const at = Math.floor(rand() * inFlight.length);
        const [w] = inFlight.splice(at, 1);
        if (!w) continue;
        if (w.fails) {
          ledger.forget(`uid-${w.name}`);
          const i = instances.find((x) => x.metadata.name === w.name);
          if (i) pending.push(i); // retried later, as the work queue would
        } else {
          written.set(w.name, w.host);
        }
      }
    };

    while (pending.length > 0 || inFlight.length > 0) {
      const round = pending;
      pending = [];
      for (const i of round) {
        const d = decideAndAssume(ledger, input(i, { hosts, placements: ledger }));
        if ('bind' in d) {
          // One write in ten fails (a conflict, a timeout): the controller forgets it.
          inFlight.push({ name: i.metadata.name ?? '', host: d.bind, fails: rand() < 0.1 });
        } else {
          expect(d).toMatchObject({ wait: { reason: 'InsufficientCPU' } });
          waits++;
        }
        // Some writes finish between decisions; the cache shows none of them yet.
        complete(Math.floor(rand() * 3));
      }
      complete(inFlight.length);
    }

    // What the API server holds: never more than a host can take.
    const perHost = new Map<string, number>();
    for (const h of written.values()) perHost.set(h, (perHost.get(h) ?? 0) + 1);
    for (const [h, n] of perHost) expect(n).toBeLessThanOrEqual(capacity.get(h)?.vcpu ?? 0);
    expect(written.size).toBe(160);
    expect(waits).toBe(40);

    // The cache catches up (in any order): every binding counted once, nothing assumed.
    const shown = instances.filter((i) => written.has(i.metadata.name ?? ''));
    for (const i of shown.reverse()) {
      ledger.observe(bound(i, written.get(i.metadata.name ?? '') ?? ''), resolveSmall);
    }
    expect(ledger.size()).toEqual({ instances: 160, assumed: 0 });
    for (const h of hosts) {
      expect(ledger.used(h.name)).toEqual({ vcpu: 16, memoryBytes: 32 * GiB, instances: 16 });
    }
  });

  it('would over-commit without the ledger’s assumptions (the cache alone)', () => {
    // The same burst decided from the cache alone, which shows no binding yet: every decision
    // sees empty hosts. This is what the assumptions prevent.
    const perHost = new Map<string, number>();
    for (let k = 0; k < 200; k++) {
      const d = decideAndAssume(
        new PlacementLedger(),
        input(instance(`i${String(k)}`), {
          hosts,
          placements: new PlacementLedger(),
        }),
      );
      if ('bind' in d) perHost.set(d.bind, (perHost.get(d.bind) ?? 0) + 1);
    }
    expect(Math.max(...perHost.values())).toBeGreaterThan(16);
  });
});
