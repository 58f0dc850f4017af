import { describe, expect, it } from '@jest/globals';
import { parseMetrics } from '../vpc/metrics.ts';
import {
  clientRequests,
  decisionRate,
  kcloudRequests,
  latencies,
  perInstanceCell,
  queueWaits,
  requestCounts,
  slowestAfterBinding,
} from './figures.ts';

describe('latencies', () => {
  it('is each done time less its slot, for the indexes that got done', () => {
    expect(latencies([0, 10, 20, 30], [5, undefined, 27, 100])).toEqual([5, 7, 70]);
  });
});

describe('slowestAfterBinding', () => {
  it('gives the indexes longest from bound to Running, slowest first, only those that ran', () => {
    const bound = [0, 10, undefined, 30, 40];
    const running = [5, 60, 70, undefined, 90];
    expect(slowestAfterBinding(bound, running, 2)).toEqual([
      { index: 1, boundAt: 10, ms: 50 },
      { index: 4, boundAt: 40, ms: 50 },
    ]);
  });
});

describe('decisionRate', () => {
  it('counts decisions over their span and the most in one second', () => {
    // 0, 100, … 900 then 2000, 2000: ten in the first second, two at 2 s.
    const times = [...Array.from({ length: 10 }, (_, i) => i * 100), 2000, 2000];
    const r = decisionRate(times);
    expect(r.count).toBe(12);
    expect(r.spanMs).toBe(2000);
    expect(r.perSecond).toBeCloseTo(5.5);
    expect(r.peakPerSecond).toBe(10);
  });

  it('a window is shorter than a second: decisions 1000 ms apart are in different ones', () => {
    expect(decisionRate([0, 1000, 2000]).peakPerSecond).toBe(1);
    expect(decisionRate([0, 999]).peakPerSecond).toBe(2);
  });

  it('has no rate for fewer than two decisions', () => {
    expect(decisionRate([]).perSecond).toBeNaN();
    expect(decisionRate([5]).perSecond).toBeNaN();
    expect(decisionRate([5]).peakPerSecond).toBe(1);
  });
});

const metrics = (rows: [string, string, string, number][]) =>
  parseMetrics(
    rows.map(
      ([verb, resource, sub, n]) =>
        `apiserver_request_total{code="200",component="apiserver",group="g",resource="${resource}",scope="x",subresource="${sub}",verb="${verb}",version="v1"} ${String(n)}`,
    ),
  );

describe('requestCounts and kcloudRequests', () => {
  it('counts by resource, subresource and verb, leaving out non-resource requests', () => {
    const counts = requestCounts([
      ...metrics([
        ['PATCH', 'instances', 'status', 3],
        ['PATCH', 'instances', 'status', 2],
        ['GET', '', '', 50],
      ]),
    ]);
    expect([...counts]).toEqual([['instances/status PATCH', 5]]);
  });

  it('leaves out the benchmark’s creates and the heartbeats, and what did not grow', () => {
    const before = requestCounts(
      metrics([
        ['POST', 'instances', '', 10],
        ['PUT', 'leases', '', 100],
        ['LIST', 'hosts', '', 4],
      ]),
    );
    const after = requestCounts(
      metrics([
        ['POST', 'instances', '', 110],
        ['PUT', 'leases', '', 160],
        ['LIST', 'hosts', '', 4],
        ['POST', 'volumes', '', 100],
        ['PATCH', 'instances', 'status', 250],
        ['POST', 'events', '', 1],
      ]),
    );
    const r = kcloudRequests(before, after);
    expect(r).toEqual({
      byKind: { 'volumes POST': 100, 'instances/status PATCH': 250, 'events POST': 1 },
      total: 351,
      heartbeats: 60,
    });
    expect(perInstanceCell(r, 100)).toBe(
      'total 3.51; instances/status PATCH 2.50; volumes POST 1.00; events POST 0.01',
    );
    expect(perInstanceCell(r, 1000)).toBe(
      'total 0.35; instances/status PATCH 0.25; volumes POST 0.10; others 0.00',
    );
  });
});

describe('clientRequests and queueWaits', () => {
  it('sums what a process sent, and its queue waits per controller', () => {
    const samples = parseMetrics([
      'rest_client_requests_total{code="200",method="GET",host="h"} 14',
      'rest_client_requests_total{code="201",method="POST",host="h"} 6',
      'workqueue_queue_duration_seconds_sum{name="a",controller="a"} 1.5',
      'workqueue_queue_duration_seconds_count{name="a",controller="a"} 3',
    ]);
    expect(clientRequests(samples)).toBe(20);
    const waits = queueWaits(samples);
    expect(waits.seconds.get('a')).toBe(1.5);
    expect(waits.count.get('a')).toBe(3);
  });
});
