import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeClock } from '../../../controllers/clock/index.ts';
import { CdrFiles, readRecords } from './cdr-files.ts';
import { Meter, type MeteredObject } from './meter.ts';
import { endedPeriods, periodName } from './periods.ts';
import { objectRecords, type UsageRecord } from './records.ts';
import { deleting, lookups, stored } from './test-objects.ts';

const minute = 60_000;
const t0 = Date.parse('2026-01-01T00:00:00Z');
const at = (m: number, s = 0) => t0 + m * minute + s * 1000;
let dir = '';

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-meter-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The API server as metering sees it: the objects stored now, deleting ones included. */
class World {
  readonly objects = new Map<string, MeteredObject>();
  put(o: MeteredObject): MeteredObject {
    this.objects.set(o.obj.metadata.name ?? '', o);
    return o;
  }
  /** Deletion asked for: the object stays, held by the metering finalizer. */
  markDeleted(name: string, time: number): MeteredObject {
    const o = this.objects.get(name);
    if (!o) throw new Error(`no ${name}`);
    return this.put(deleting(o, time));
  }
}

/** A metering process: a fresh meter and fresh files on the folder, as after a restart. */
function meter(world: World, clock: FakeClock, periodMs = minute) {
  return new Meter({
    files: new CdrFiles(dir),
    periodMs,
    settleMs: 5000,
    clock,
    lookups,
    tenantOf: (ns) => (ns === 'finance-prod' ? 'finance' : ''),
    listObjects: () => Promise.resolve([...world.objects.values()]),
  });
}

/** Deletion as the finalizer controller does it: records out, then the object is gone. */
async function finishDeletion(m: Meter, world: World, name: string): Promise<void> {
  const o = world.objects.get(name);
  if (!o) throw new Error(`no ${name}`);
  await m.meterDeleted(o.kind, o.obj);
  world.objects.delete(name);
}

async function jsonlLines(): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
  const all = await Promise.all(names.map((n) => readFile(path.join(dir, n), 'utf8')));
  return all.flatMap((text) => text.split('\n').filter((l) => l !== ''));
}

/** Seconds written per object and dimension, over every record. */
function secondsBy(records: readonly UsageRecord[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const r of records) {
    const key = `${r.name} ${r.dimension}`;
    sums[key] = (sums[key] ?? 0) + r.seconds;
  }
  return sums;
}

describe('Meter', () => {
  it('writes exactly each lifetime across periods, a kill mid-write and a restart after a gap', async () => {
    const clock = new FakeClock(t0);
    const world = new World();
    world.put(stored('Instance', 'vm-a', at(0, 10), { flavorRef: { name: 'm1.large' } }));
    world.put(stored('Volume', 'disk-b', at(0, 30), { size: '10Gi' }));
    let m = meter(world, clock);

    await clock.advance(at(1, 5) - clock.now());
    expect((await m.closeEnded()).map((p) => periodName(p))).toEqual(['2026-01-01T00:00:00.000Z']);
    expect(await m.closeEnded()).toEqual([]);

    await clock.advance(at(1, 40) - clock.now());
    world.put(stored('EIP', 'eip-c', at(1, 20), { poolRef: { name: 'public' } }));
    world.markDeleted('vm-a', at(1, 40));
    await finishDeletion(m, world, 'vm-a');

    await clock.advance(at(2, 5) - clock.now());
    expect(await m.closeEnded()).toHaveLength(1);

    // Killed at 00:03:05 while writing the records of the period 00:02: one line half out.
    await clock.advance(at(3, 5) - clock.now());
    const p2 = endedPeriods(at(2), at(3), minute)[0];
    if (!p2) throw new Error('no period');
    const disk = world.objects.get('disk-b');
    if (!disk) throw new Error('no disk');
    const [first] = objectRecords(disk.kind, disk.obj, p2, lookups, 'finance');
    const line = JSON.stringify(first);
    await appendFile(path.join(dir, `${periodName(p2)}.jsonl`), line.slice(0, 40));

    // While metering is down: disk-b's deletion is asked for, vm-d is created.
    world.markDeleted('disk-b', at(3, 30));
    world.put(
      stored('Instance', 'vm-d', at(4, 10), { resources: { vcpu: 1, memory: 512 * 2 ** 20 } }),
    );

    // Back at 00:06:02: the periods 00:02 to 00:04 are caught up; 00:05 is not due yet.
    await clock.advance(at(6, 2) - clock.now());
    m = meter(world, clock);
    expect((await m.closeEnded()).map((p) => periodName(p))).toEqual([
      '2026-01-01T00:02:00.000Z',
      '2026-01-01T00:03:00.000Z',
      '2026-01-01T00:04:00.000Z',
    ]);
    await finishDeletion(m, world, 'disk-b');
    expect(m.nextCloseAt()).toBe(at(6, 5));
    await clock.advance(at(6, 5) - clock.now());
    expect(await m.closeEnded()).toHaveLength(1);

    const lines = await jsonlLines();
    const records = lines.map((l) => JSON.parse(l) as UsageRecord);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(secondsBy(records)).toEqual({
      'vm-a instance-hours:m1.large': 90,
      'vm-a vcpu-hours': 90,
      'vm-a memory-gib-hours': 90,
      'disk-b storage-gib-hours:ssd': 180,
      'eip-c eip-hours': 280,
      'vm-d instance-hours:custom': 110,
      'vm-d vcpu-hours': 110,
      'vm-d memory-gib-hours': 110,
    });
    // Each record's amount is rounded to 1e-9: a sum of a few is within 1e-8.
    const amount = (name: string, dimension: string) =>
      records
        .filter((r) => r.name === name && r.dimension === dimension)
        .reduce((s, r) => s + r.amount, 0);
    expect(amount('vm-a', 'vcpu-hours')).toBeCloseTo((2 * 90) / 3600, 8);
    expect(amount('vm-a', 'memory-gib-hours')).toBeCloseTo((4 * 90) / 3600, 8);
    expect(amount('disk-b', 'storage-gib-hours:ssd')).toBeCloseTo((10 * 180) / 3600, 8);
    expect(amount('vm-d', 'memory-gib-hours')).toBeCloseTo((0.5 * 110) / 3600, 8);
    expect(records.every((r) => r.tenant === 'finance')).toBe(true);
    expect(await readRecords(dir)).toHaveLength(records.length);
    // Every period from the first to the last closed one has its marker.
    const done = (await readdir(dir)).filter((n) => n.endsWith('.done')).sort();
    expect(done).toEqual(endedPeriods(at(0), at(6), minute).map((p) => `${periodName(p)}.done`));
  });

  it('starts, before any period was closed, at the period of the oldest object', async () => {
    const clock = new FakeClock(at(10, 30));
    const world = new World();
    world.put(stored('EIP', 'old', at(7, 20), { poolRef: { name: 'public' } }));
    world.put(stored('EIP', 'other', at(1, 0), { poolRef: { name: 'public' } }, 'no-tenant'));
    const closed = await meter(world, clock).closeEnded();
    expect(closed.map((p) => periodName(p))).toEqual(
      endedPeriods(at(1), at(10), minute).map((p) => periodName(p)),
    );
    const records = await readRecords(dir);
    expect(secondsBy(records)).toEqual({ 'old eip-hours': 160, 'other eip-hours': 540 });
    expect(records.find((r) => r.name === 'other')?.tenant).toBe('');
    expect(records.find((r) => r.name === 'other')?.namespace).toBe('no-tenant');
  });

  it('writes nothing twice when the period length changes across a restart', async () => {
    const clock = new FakeClock(at(0));
    const world = new World();
    world.put(stored('EIP', 'e', at(0, 0), { poolRef: { name: 'public' } }));
    await clock.advance(at(2, 5) - clock.now());
    expect(await meter(world, clock, minute).closeEnded()).toHaveLength(2);
    // Restarted with 90-second periods at 00:06:00: 00:02–00:03 (to the next 90 s boundary),
    // 00:03–00:04:30; 00:04:30–00:06:00 is not due before 00:06:05.
    await clock.advance(at(6) - clock.now());
    const closed = await meter(world, clock, 90_000).closeEnded();
    expect(closed).toEqual([
      { start: at(2), end: at(3) },
      { start: at(3), end: at(4, 30) },
    ]);
    expect(secondsBy(await readRecords(dir))).toEqual({ 'e eip-hours': 270 });
  });
});
