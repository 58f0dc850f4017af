import { describe, expect, it } from '@jest/globals';
import * as prettier from 'prettier';
import type { PortUpSample } from './port-up.ts';
import { nbctlRatio, p50p95max, renderSection, type VpcBenchResults } from './report.ts';

const change = (enforced: number, nb: number) => ({ enforced, nb, ready: nb + 5, misses: 0 });
const sample = (mode: PortUpSample['mode'], up: number): PortUpSample => ({
  mode,
  created: 10,
  status: 60,
  plugged: up - 20,
  up,
});

const results: VpcBenchResults = {
  run: {
    date: '2026-11-22',
    machine: '2 cores',
    node: 'v24.0.0',
    kubernetes: 'v1.36.3',
    ovn: 'OVN 23.03.1, Open vSwitch 3.1.0',
    durationMs: 9 * 60_000,
    loadAtEnd: 2.5,
    command: 'node bench/vpc/main.ts',
  },
  scale: {
    sizes: { subnets: 50, nics: 5000, securityGroups: 10, rules: 200 },
    objects: 5061,
    concurrency: 16,
    createMs: 20_000,
    readyMs: 100_000,
    nbMs: 101_000,
    idleMs: 130_000,
    nicReadyMs: [1000, 2000, 3000],
    counts: { nicPorts: 5000, baselineMembers: 5000, groupMembers: 5000, groupAcls: 210 },
    work: {
      wallMs: 101_000,
      cpu: { manager: 120.4, 'ovn-northd': 150, etcd: 0.2 },
      reconciles: { 'securitygroup-controller': 40_000, 'networkinterface-controller': 5000 },
      seconds: { 'securitygroup-controller': 1000, 'networkinterface-controller': 2500 },
      apiWrites: { 'networkinterfaces POST': 5000, 'securitygroups/status APPLY': 6000 },
    },
  },
  manager: {
    readyRssBytes: 200 * 2 ** 20,
    afterScaleRssBytes: 300 * 2 ** 20,
    endRssBytes: 310 * 2 ** 20,
    peakRssBytes: 320 * 2 ** 20,
  },
  portUp: { samples: [sample('on-status', 400), sample('at-create', 300)] },
  sg: { added: [change(80, 20)], removed: [change(100, 30)], deniedBefore: 20 },
  groups: {
    sizes: { groups: 200, references: 3 },
    concurrency: 16,
    createMs: 2_000,
    readyMs: 12_500,
    idleMs: 13_000,
    work: {
      wallMs: 13_100,
      cpu: { manager: 10 },
      reconciles: { 'securitygroup-controller': 500 },
      seconds: { 'securitygroup-controller': 20 },
      apiWrites: { 'securitygroups/status APPLY': 380, 'securitygroups POST': 200 },
    },
  },
  northd: {
    scale: {
      runs: 1234,
      p95Ms: 1180.5,
      maxMs: 2210,
      recomputes: 1200,
      computes: 34,
      lflowRecomputes: 3,
      buildP95Ms: 70,
      syncP95Ms: 41,
    },
    portUp: {
      runs: 120,
      p95Ms: 900,
      maxMs: 1000,
      recomputes: 120,
      computes: 0,
      lflowRecomputes: 0,
      buildP95Ms: 0,
      syncP95Ms: 0,
    },
    sg: {
      runs: 1,
      p95Ms: 800,
      maxMs: 800,
      recomputes: 1,
      computes: 0,
      lflowRecomputes: 1,
      buildP95Ms: 60,
      syncP95Ms: 40,
    },
  },
  bulk: {
    ports: 5000,
    ms: { client: [300, 200, 250], 'client-unmonitored': [100, 90, 95], nbctl: [600, 500, 550] },
    nbctlFixedMs: [10, 12, 11],
  },
};

describe('p50p95max', () => {
  it('takes nearest ranks, so each figure is a measured one', () => {
    expect(p50p95max([400, 100, 300, 200])).toBe('200 ms / 400 ms / 400 ms');
    expect(p50p95max([1500])).toBe('1.50 s / 1.50 s / 1.50 s');
    expect(p50p95max([])).toBe('no samples');
  });
});

describe('renderSection', () => {
  const text = renderSection(results);

  it('reports each measurement with its figures', () => {
    expect(text).toContain('5,061 objects in 20.0 s (253 objects/s)');
    expect(text).toContain('**100.0 s** (51 objects/s)');
    expect(text).toContain('**101.0 s**');
    expect(text).toContain('| 130.0 s ');
    expect(text).toContain('200 MiB; 300 MiB; 310 MiB (320 MiB)');
    expect(text).toContain('**400 ms / 400 ms / 400 ms**');
    expect(text).toContain('**80 ms / 80 ms / 80 ms**');
    expect(text).toContain('300 ms, 200 ms, 250 ms (median 250 ms)');
    expect(text).toContain('**2.20×** (the client is not slower)');
    expect(text).toContain('this run took 9.0 min');
    expect(text).toContain(
      '1,234 full recomputes (1.18 s / 2.21 s), 34 incremental; 3 rebuilds (70 ms + 41 ms)',
    );
    expect(text).toContain(
      '1 full recompute (800 ms / 800 ms), 0 incremental; 1 rebuild (60 ms + 40 ms)',
    );
    expect(text).toContain('load average 2.50 at the end');
    expect(text).toContain(
      'securitygroup 40,000 (25 ms each); networkinterface 5,000 (500 ms each)',
    );
    expect(text).toContain('securitygroups/status APPLY 6,000; networkinterfaces POST 5,000');
    expect(text).toContain('(the 101.0 s from before the first create until the manager was idle)');
    expect(text).toContain(
      'CPU time per process (two cores, shared with whatever else the machine ran): ovn-northd 150 s; manager 120 s.',
    );
    expect(text).toContain(
      '200 SecurityGroups in one namespace, each naming 3 others (16 creates in flight): all Ready, from the first create sent',
    );
    expect(text).toContain('**12.5 s** (16 objects/s); the manager idle after 13.0 s');
    expect(text).toContain('**2.50; 1.90** (500 reconciles, 380 writes)');
  });

  it('is laid out as Prettier lays it out, so docs/benchmarks.md passes the format check', async () => {
    const doc = `## VPC operator\n\n${text}\n`;
    const config = await prettier.resolveConfig('docs/benchmarks.md');
    expect(await prettier.format(doc, { ...config, parser: 'markdown' })).toBe(doc);
  });

  it('says so when the client is the slower one', () => {
    const slow = { ...results.bulk, ms: { ...results.bulk.ms, client: [900] } };
    expect(nbctlRatio(slow)).toBeCloseTo(550 / 900);
    expect(renderSection({ ...results, bulk: slow })).toContain('(the client is slower)');
  });
});
