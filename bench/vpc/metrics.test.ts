import { describe, expect, it } from '@jest/globals';
import {
  apiWrites,
  growth,
  managerWork,
  operatorWrites,
  parseMetrics,
  perObjectCell,
  queueDepth,
} from './metrics.ts';

const manager = `# HELP controller_runtime_reconcile_total Reconciles.
# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="a",result="success"} 10
controller_runtime_reconcile_total{controller="a",result="error"} 2
controller_runtime_reconcile_total{controller="b",result="success"} 0
controller_runtime_reconcile_time_seconds_sum{controller="a"} 1.5
controller_runtime_reconcile_time_seconds_bucket{controller="a",le="+Inf"} 12
process_resident_memory_bytes 123
`;

const apiserver = [
  'apiserver_request_total{code="201",group="vpc.kcloud.io",resource="networkinterfaces",subresource="",verb="POST",version="v1alpha1"} 50',
  'apiserver_request_total{code="409",group="vpc.kcloud.io",resource="networkinterfaces",subresource="",verb="POST",version="v1alpha1"} 2',
  'apiserver_request_total{code="200",group="vpc.kcloud.io",resource="networkinterfaces",subresource="status",verb="APPLY",version="v1alpha1"} 7',
  'apiserver_request_total{code="200",group="vpc.kcloud.io",resource="networkinterfaces",subresource="",verb="LIST",version="v1alpha1"} 3',
  'apiserver_request_total{code="201",group="",resource="events",subresource="",verb="POST",version="v1"} 4',
  'apiserver_request_total{code="200",group="",resource="pods",subresource="",verb="PATCH",version="v1"} 9',
];

describe('parseMetrics', () => {
  it('reads names, labels and values, and skips comments', () => {
    const s = parseMetrics(manager);
    expect(s).toHaveLength(6);
    expect(s[0]).toEqual({
      name: 'controller_runtime_reconcile_total',
      labels: { controller: 'a', result: 'success' },
      value: 10,
    });
    expect(s.at(-1)).toEqual({ name: 'process_resident_memory_bytes', labels: {}, value: 123 });
  });

  it('keeps escaped quotes inside a label value', () => {
    expect(parseMetrics('m{a="x\\"y"} 1')[0]?.labels).toEqual({ a: 'x\\"y' });
  });
});

describe('managerWork', () => {
  it('sums reconciles over results, per controller, with their time', () => {
    const w = managerWork(parseMetrics(manager));
    expect(Object.fromEntries(w.reconciles)).toEqual({ a: 12, b: 0 });
    expect(Object.fromEntries(w.seconds)).toEqual({ a: 1.5 });
  });
});

describe('apiWrites', () => {
  it('counts writes of the group and events, whatever their code', () => {
    expect(Object.fromEntries(apiWrites(parseMetrics(apiserver), 'vpc.kcloud.io'))).toEqual({
      'networkinterfaces POST': 52,
      'networkinterfaces/status APPLY': 7,
      'events POST': 4,
    });
  });
});

describe('operatorWrites', () => {
  it('leaves out the creates of the benchmark, not the events the operator creates', () => {
    expect(
      operatorWrites({
        'networkinterfaces POST': 10,
        'networkinterfaces PATCH': 10,
        'subnets/status APPLY': 3,
        'events POST': 2,
        'events PATCH': 1,
      }),
    ).toEqual({
      'networkinterfaces PATCH': 10,
      'subnets/status APPLY': 3,
      'events POST': 2,
      'events PATCH': 1,
    });
  });
});

describe('perObjectCell', () => {
  it('divides each kind of write and their total by the objects', () => {
    expect(perObjectCell({ 'subnets/status APPLY': 5, 'networkinterfaces PATCH': 20 }, 20)).toBe(
      'total 1.25; networkinterfaces PATCH 1.00; subnets/status APPLY 0.25',
    );
  });
});

describe('growth', () => {
  it('keeps what grew', () => {
    const before = new Map([
      ['a', 1],
      ['b', 5],
    ]);
    const after = new Map([
      ['a', 4],
      ['b', 5],
      ['c', 2],
    ]);
    expect(Object.fromEntries(growth(after, before))).toEqual({ a: 3, c: 2 });
  });
});

describe('queueDepth', () => {
  it('adds up every work queue', () => {
    const text =
      'workqueue_depth{name="a"} 3\nworkqueue_depth{name="b"} 4\nworkqueue_adds_total{name="a"} 9\n';
    expect(queueDepth(parseMetrics(text))).toBe(7);
    expect(queueDepth([])).toBe(0);
  });
});
