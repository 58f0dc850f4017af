import { describe, expect, it } from '@jest/globals';
import * as prettier from 'prettier';
import type { nb } from '../../controllers/ovsdb/index.ts';
import {
  joinCommands,
  lbCommands,
  macOf,
  natAddCommand,
  rebindRuns,
  type NatRow,
} from './nbctl-args.ts';
import {
  lbsProgrammed,
  natsFor,
  natsProgrammed,
  ownerName,
  rowName,
  type NbView,
} from './nb-edge.ts';
import { parseOptions } from './options.ts';
import { writerOf, type BindSample } from './rebind.ts';
import { duration, p95, ratio, renderSection, spread, type EdgeResults } from './report.ts';
import { checkSizes, lbObject, lbRows, memberOf, natAddressOf, names, vipOf } from './topology.ts';

describe('the address plan', () => {
  it('gives every LoadBalancer its own VIP and every member its own address', () => {
    expect(vipOf(0)).toBe('10.1.0.16');
    expect(vipOf(300)).toBe('10.1.1.60');
    expect(memberOf(0, 0, 10)).toBe('10.1.64.16');
    expect(memberOf(1, 0, 10)).toBe('10.1.64.26');
    const all = new Set(
      Array.from({ length: 100 }, (_, i) =>
        Array.from({ length: 10 }, (_, j) => memberOf(i, j, 10)),
      ).flat(),
    );
    expect(all.size).toBe(1000);
    expect(natAddressOf(0)).toBe('198.51.100.50');
    expect(natAddressOf(199)).toBe('198.51.100.249');
  });

  it('refuses sizes outside it', () => {
    expect(() => {
      checkSizes({ lbs: 100, members: 10, nats: 200 });
    }).not.toThrow();
    expect(() => {
      checkSizes({ lbs: 100, members: 10, nats: 201 });
    }).toThrow(/--nats/);
    expect(() => {
      checkSizes({ lbs: 4000, members: 64, nats: 1 });
    }).toThrow(/16,000/);
  });

  it('writes the same VIP and backends in the CR as in the baseline rows', () => {
    const lb = lbObject('ns', 3, 2);
    const [row] = lbRows(4, 2, names.lb).slice(3);
    expect(lb.metadata.name).toBe(row?.name);
    expect(`${lb.spec.vip ?? ''}:8080`).toBe(row?.vip);
    expect(lb.spec.backendPools[0]?.members.map((m) => `${m.ip ?? ''}:${String(m.port)}`)).toEqual(
      row?.backends,
    );
  });
});

describe('ovn-nbctl command lines', () => {
  const nat: NatRow = {
    externalIp: '198.51.100.20',
    logicalIp: '10.3.0.5',
    logicalPort: 'lsp-1',
    externalMac: '0e:00:00:00:00:01',
  };

  it('adds a load balancer and attaches it to the router and each switch in one run', () => {
    const row = {
      name: 'lb0',
      vip: '10.1.0.16:8080',
      backends: ['10.1.64.16:8080', '10.1.64.17:8080'],
    };
    expect(joinCommands(lbCommands(row, 'lr', ['ls1', 'ls2']))).toEqual([
      'lb-add',
      'lb0',
      '10.1.0.16:8080',
      '10.1.64.16:8080,10.1.64.17:8080',
      'tcp',
      '--',
      'lr-lb-add',
      'lr',
      'lb0',
      '--',
      'ls-lb-add',
      'ls1',
      'lb0',
      '--',
      'ls-lb-add',
      'ls2',
      'lb0',
    ]);
  });

  it('re-binds by deleting the row, then adding it for the other port', () => {
    expect(natAddCommand('lr', nat)).toEqual([
      'lr-nat-add',
      'lr',
      'dnat_and_snat',
      '198.51.100.20',
      '10.3.0.5',
      'lsp-1',
      '0e:00:00:00:00:01',
    ]);
    expect(rebindRuns('lr', nat)).toEqual([
      ['lr-nat-del', 'lr', 'dnat_and_snat', '198.51.100.20'],
      natAddCommand('lr', nat),
    ]);
  });

  it('makes locally administered unicast MACs', () => {
    expect(macOf('a')).toMatch(/^0e(:[0-9a-f]{2}){5}$/);
    expect(macOf('a')).toBe(macOf('a'));
    expect(macOf('a')).not.toBe(macOf('b'));
  });
});

describe('what NB holds', () => {
  const lb = (uuid: string, name: string, vips: Record<string, string>, ids = {}) =>
    ({ _uuid: uuid, name, vips, external_ids: ids }) as nb.LoadBalancer;
  const rows = [
    { name: 'web', vip: '10.1.0.16:8080', backends: ['10.1.64.16:8080', '10.1.64.17:8080'] },
  ];
  const where = { router: 'lr', switches: ['ls1', 'ls2'] };
  const view = (lbs: nb.LoadBalancer[], onRouter: string[], onSwitches: string[][]): NbView => ({
    lbs,
    routers: [
      { _uuid: 'r', name: 'lr', load_balancer: onRouter, nat: [] } as unknown as nb.LogicalRouter,
    ],
    switches: onSwitches.map(
      (l, i) => ({ name: `ls${String(i + 1)}`, load_balancer: l }) as nb.LogicalSwitch,
    ),
    nats: [],
  });

  it('counts a row only with exactly its backends, on the router and every switch', () => {
    const good = lb('u1', 'web', { '10.1.0.16:8080': '10.1.64.17:8080,10.1.64.16:8080' });
    expect(lbsProgrammed(view([good], ['u1'], [['u1'], ['u1']]), rows, where, rowName)).toBe(1);
    expect(lbsProgrammed(view([good], ['u1'], [['u1'], []]), rows, where, rowName)).toBe(0);
    expect(lbsProgrammed(view([good], [], [['u1'], ['u1']]), rows, where, rowName)).toBe(0);
    const short = lb('u1', 'web', { '10.1.0.16:8080': '10.1.64.16:8080' });
    expect(lbsProgrammed(view([short], ['u1'], [['u1'], ['u1']]), rows, where, rowName)).toBe(0);
  });

  it('finds the operator’s rows by their owner in the namespace', () => {
    const ids = {
      'kcloud.io/kind': 'LoadBalancer',
      'kcloud.io/namespace': 'ns',
      'kcloud.io/name': 'web',
    };
    const owned = lb(
      'u1',
      'slb-uid-tcp',
      { '10.1.0.16:8080': '10.1.64.16:8080,10.1.64.17:8080' },
      ids,
    );
    const v = view([owned], ['u1'], [['u1'], ['u1']]);
    expect(lbsProgrammed(v, rows, where, ownerName('ns'))).toBe(1);
    expect(lbsProgrammed(v, rows, where, ownerName('other'))).toBe(0);
  });

  it('counts NAT rows on the router by address, logical address and port', () => {
    const n = (uuid: string, port: string) =>
      ({
        _uuid: uuid,
        type: 'dnat_and_snat',
        external_ip: '198.51.100.20',
        logical_ip: '10.3.0.5',
        logical_port: port,
      }) as nb.NAT;
    const v: NbView = {
      lbs: [],
      routers: [{ name: 'lr', nat: ['n1'], load_balancer: [] } as unknown as nb.LogicalRouter],
      switches: [],
      nats: [n('n1', 'lsp-1'), n('n2', 'lsp-2')],
    };
    const want = {
      externalIp: '198.51.100.20',
      logicalIp: '10.3.0.5',
      logicalPort: 'lsp-1',
      externalMac: '',
    };
    expect(natsProgrammed(v, 'lr', [want])).toBe(1);
    expect(natsProgrammed(v, 'lr', [{ ...want, logicalPort: 'lsp-2' }])).toBe(0);
    expect(natsFor(v, 'lr', '198.51.100.20').map((x) => x._uuid)).toEqual(['n1']);
  });
});

describe('the re-binds', () => {
  it('alternates the writers in blocks, kcloud first', () => {
    expect([0, 1, 2, 3, 4, 5].map((k) => writerOf(k, 2))).toEqual([
      'kcloud',
      'kcloud',
      'nbctl',
      'nbctl',
      'kcloud',
      'kcloud',
    ]);
  });
});

describe('options', () => {
  it('defaults to the issue’s sizes and checks the blocks', () => {
    const o = parseOptions([], '/repo');
    expect(o).toMatchObject({ lbs: 100, members: 10, nats: 200, binds: 200, block: 50 });
    expect(o.out).toBe('/repo/docs/benchmarks.md');
    expect(() => parseOptions(['--binds=30', '--block=20'], '/repo')).toThrow(/multiple/);
    expect(() => parseOptions(['--lbs=0'], '/repo')).toThrow(/positive/);
  });
});

describe('the section', () => {
  const bind = (writer: BindSample['writer'], answerMs: number): BindSample => ({
    writer,
    answerMs,
    writtenMs: answerMs / 4,
    ...(writer === 'kcloud' ? { readyMs: answerMs / 2 } : {}),
    misses: 1,
  });
  const results: EdgeResults = {
    run: {
      date: '2026-12-06',
      machine: '2 cores',
      node: 'v24.21.0',
      kubernetes: 'v1.36.3',
      ovn: 'OVN 23.03.1, Open vSwitch 3.1.0',
      command: 'node bench/edge/main.ts',
      creates: 16,
      durationMs: 5 * 60_000,
      loadAtEnd: 2,
    },
    rebind: {
      block: 2,
      samples: [bind('kcloud', 300), bind('kcloud', 500), bind('nbctl', 100), bind('nbctl', 200)],
    },
    lbs: {
      count: 100,
      members: 10,
      switches: 2,
      baseline: { oneRunMs: 200, perObjectMs: 2_000 },
      kcloud: { createdMs: 1_000, readyMs: 4_000, nbMs: 3_000 },
      work: {
        reconciles: { 'loadbalancer-controller': 300 },
        seconds: { 'loadbalancer-controller': 3 },
      },
    },
    nats: {
      count: 200,
      baseline: { oneRunMs: 100, perObjectMs: 4_000 },
      kcloud: { createdMs: 1_000, readyMs: 6_000, nbMs: 5_000 },
      work: { reconciles: {}, seconds: {} },
    },
  };

  it('formats figures', () => {
    expect(duration(1234.4)).toBe('1,234 ms');
    expect(duration(12_345)).toBe('12.3 s');
    expect(ratio(3, 2)).toBe('1.50×');
    expect(p95([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100])).toBe(19);
    expect(spread([1, 2, 3])).toBe('2 ms / 3 ms / 3 ms');
  });

  it('reports both writers side by side with their ratios, formatted as Prettier would', async () => {
    const section = renderSection(results);
    expect(section).toContain('**300 ms / 500 ms / 500 ms**');
    expect(section).toContain('**100 ms / 200 ms / 200 ms**');
    expect(section).toContain('**3.00×**, **2.50×**');
    expect(section).toContain(
      '**15.00×** of one run; **1.50×** of one ovn-nbctl run per LoadBalancer',
    );
    expect(section).toContain('**50.00×** of one run');
    expect(section).toContain('loadbalancer 300 (10 ms each)');
    const doc = `# Benchmarks\n\n## Network edge: EIPs and load balancers\n\n${section}\n`;
    const config = await prettier.resolveConfig('docs/benchmarks.md');
    expect(await prettier.format(doc, { ...config, parser: 'markdown' })).toBe(doc);
  });
});
