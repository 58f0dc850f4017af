import { describe, expect, it } from '@jest/globals';
import { summarize } from '../lib/stats.ts';
import { qemuImgCloneArgs, rbdCloneArgs } from './baseline.ts';
import { busyFraction, parseCpuTicks } from './busy.ts';
import { v1Monitor } from './ceph-run.ts';
import { parseOptions } from './options.ts';
import {
  busyShare,
  limits,
  perVolume,
  ratio,
  ratioCell,
  renderSection,
  type PoolResult,
} from './report.ts';
import { evsRequests, volumeObject } from './volumes.ts';

const pool = {
  kind: 'rbd' as const,
  namespace: 'ns',
  volumeType: 't',
  image: 'base',
  imageUid: 'u',
};

function result(baselineRate: number, kcloudRate: number): PoolResult {
  const s = summarize([10, 20, 30]);
  return {
    kind: 'file',
    baseline: { count: 3, concurrency: 4, elapsedMs: 100, perSecond: baselineRate, latencyMs: s },
    kcloud: {
      count: 3,
      inFlight: 16,
      elapsedMs: 200,
      applyMs: 100,
      perSecond: kcloudRate,
      latencyMs: s,
      requests: new Map([['volumes PATCH', 9]]),
      reconciles: new Map([['evs-volume-agent', 6]]),
      reconcileSeconds: new Map([['evs-volume-agent', 0.3]]),
      cpuSeconds: new Map([['etcd', 0.03]]),
      machineBusy: 0.5,
    },
  };
}

describe('the EVS bench', () => {
  it('takes its sizes and pool kinds from flags and refuses others', () => {
    expect(parseOptions([])).toMatchObject({
      volumes: 1000,
      concurrency: 4,
      pools: ['file', 'rbd'],
    });
    expect(parseOptions(['--pools=rbd', '--volumes=10']).pools).toEqual(['rbd']);
    expect(() => parseOptions(['--pools=nfs'])).toThrow(/file and rbd/);
    expect(() => parseOptions(['--pools=file,file'])).toThrow(/once each/);
    expect(() => parseOptions(['--volumes=0'])).toThrow(/positive/);
  });

  it('runs the baseline tools with argument arrays naming the same image', () => {
    expect(qemuImgCloneArgs('img-u.qcow2', 'b-1.qcow2', 1024)).toEqual([
      'create',
      '-q',
      '-f',
      'qcow2',
      '-b',
      'img-u.qcow2',
      '-F',
      'qcow2',
      'b-1.qcow2',
      '1024',
    ]);
    expect(rbdCloneArgs('p', 'img-u', 'base', 'b-1')).toEqual(['clone', 'p/img-u@base', 'p/b-1']);
    expect(v1Monitor('[v2:127.0.0.1:3300,v1:127.0.0.1:6789]')).toBe('127.0.0.1:6789');
    expect(() => v1Monitor('[v2:127.0.0.1:3300]')).toThrow(/no v1/);
  });

  it('applies a Volume cloned from the pool’s image', () => {
    expect(volumeObject(pool, 'v', '1Gi')).toMatchObject({
      kind: 'Volume',
      metadata: { name: 'v', namespace: 'ns' },
      spec: { size: '1Gi', volumeTypeRef: { name: 't' }, source: { image: { name: 'base' } } },
    });
  });

  it('counts API requests on EVS and ECS kinds and events, not watches or other kinds', () => {
    const sample = (labels: Record<string, string>, value: number) => ({
      name: 'apiserver_request_total',
      labels,
      value,
    });
    const counts = evsRequests([
      sample({ group: 'evs.kcloud.io', resource: 'volumes', verb: 'PATCH' }, 3),
      sample(
        { group: 'evs.kcloud.io', resource: 'volumes', subresource: 'status', verb: 'APPLY' },
        2,
      ),
      sample({ group: 'evs.kcloud.io', resource: 'volumes', verb: 'WATCH' }, 5),
      sample({ group: '', resource: 'events', verb: 'POST' }, 1),
      sample({ group: 'coordination.k8s.io', resource: 'leases', verb: 'PUT' }, 7),
    ]);
    expect(Object.fromEntries(counts)).toEqual({
      'volumes PATCH': 3,
      'volumes/status APPLY': 2,
      'events POST': 1,
    });
  });

  it('reads how busy all cores were from /proc/stat', () => {
    const before = parseCpuTicks('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n');
    const after = parseCpuTicks('cpu  200 0 200 800 100 0 0 0 0 0\n');
    expect(before).toEqual({ busy: 200, total: 1000 });
    expect(busyFraction(before, after)).toBeCloseTo(2 / 3);
    expect(() => parseCpuTicks('intr 1 2 3')).toThrow(/no cpu line/);
  });

  it('says the agent sets the pace when its workers were busy', () => {
    const busy = result(100, 40);
    busy.kcloud.reconcileSeconds.set('evs-volume-agent', 0.72);
    expect(busyShare(0.72, 200, 4)).toBeCloseTo(0.9);
    expect(limits(busy, 4, 2)).toContain('sets the pace: its 4 workers were busy 90 %');
    expect(limits(busy, 4, 2)).toContain('at most 16.7/s');
  });

  it('reports per-volume figures largest first and the ratio to the baseline against 0.8×', () => {
    const counts = new Map([
      ['a', 3],
      ['b', 9],
      ['tiny', 0.001],
    ]);
    expect(perVolume(counts, 3)).toBe('b 3.00, a 1.00');
    expect(perVolume(new Map(), 3)).toBe('none');
    expect(ratio(result(100, 40))).toBeCloseTo(0.4);
    expect(ratioCell(result(100, 40))).toBe('**0.40×** (below the 0.8× target)');
    expect(ratioCell(result(100, 90))).toBe('**0.90×** (meets the 0.8× target)');
  });

  it('renders a section with the machine line, the table and the analysis', () => {
    const section = renderSection({
      run: {
        date: '2026-12-05',
        machine: '2 cores',
        node: 'v24',
        kubernetes: 'v1.36.3',
        qemuImg: 'qemu-img version 7.2',
        ceph: 'ceph version 16.2',
        volumes: 3,
        concurrency: 4,
        applies: 16,
        sizeBytes: 2 ** 30,
        cores: 2,
        durationMs: 60_000,
      },
      pools: [result(100, 40)],
    });
    expect(section).toMatch(/^Measured on 2026-12-05: 2 cores; Node v24/);
    expect(section).toContain('| File Local pool: kcloud / baseline');
    expect(section).toContain('evs-volume-agent 100.0');
    // 0.3 s of agent reconciles over 3 volumes in 200 ms on 4 workers: busy 38 %.
    expect(section).toContain('The agent’s volume controller was busy 38 %');
    expect(section).toContain('0.40× the baseline');
    // etcd 30 ms over 3 volumes: 10 ms each, 200/s on 2 cores, 2× the baseline's 100/s.
    expect(section).toContain('allows at most 200.0/s, 2.00× the baseline');
    expect(section).toContain('applied at 30.0/s');
  });
});
