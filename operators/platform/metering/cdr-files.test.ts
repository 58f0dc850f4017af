import { appendFile, mkdir, readFile, rename, rmdir, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CdrFiles, readRecords } from './cdr-files.ts';
import { periodAt } from './periods.ts';
import { csvHeader, objectRecords, type UsageRecord } from './records.ts';
import { lookups, stored } from './test-objects.ts';

const hour = 3_600_000;
const t0 = Date.parse('2026-01-01T10:00:00Z');
const period = periodAt(t0, hour);
let dir = '';

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-cdr-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function records(): UsageRecord[] {
  const vm = stored('Instance', 'vm', t0 - hour, { flavorRef: { name: 'm1.large' } });
  const disk = stored('Volume', 'disk', t0 + 15 * 60_000, { size: '10Gi' });
  return [
    ...objectRecords(vm.kind, vm.obj, period, lookups, 'finance'),
    ...objectRecords(disk.kind, disk.obj, period, lookups, 'finance'),
  ];
}

const lines = async (file: string) => (await readFile(file, 'utf8')).split('\n').slice(0, -1);

describe('CDR files', () => {
  it('write each record once per file, however often and by however many restarts', async () => {
    const rs = records();
    expect(rs.map((r) => r.dimension)).toEqual([
      'instance-hours:m1.large',
      'vcpu-hours',
      'memory-gib-hours',
      'storage-gib-hours:ssd',
    ]);
    const files = new CdrFiles(dir);
    expect(await files.append(period, rs.slice(0, 2))).toHaveLength(2);
    expect(await files.append(period, rs)).toHaveLength(2);
    expect(await files.append(period, [...rs, ...rs])).toHaveLength(0);
    // A new process reads what is there before it writes.
    expect(await new CdrFiles(dir).append(period, rs)).toHaveLength(0);
    const jsonl = await lines(files.file(period, '.jsonl'));
    expect(jsonl.map((l) => (JSON.parse(l) as UsageRecord).id).sort()).toEqual(
      rs.map((r) => r.id).sort(),
    );
    const csv = await lines(files.file(period, '.csv'));
    expect(`${csv[0] ?? ''}\n`).toBe(csvHeader);
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(jsonl.map((l) => l.slice(7, 39)));
    expect(await readRecords(dir)).toEqual(rs);
  });

  it('cut off the partial line of a process killed mid-write and write that record again', async () => {
    const rs = records();
    const files = new CdrFiles(dir);
    await files.append(period, rs.slice(0, 2));
    // Killed while appending the other two: half of the third line made it to each file.
    const third = JSON.stringify(rs[2]);
    await appendFile(files.file(period, '.jsonl'), third.slice(0, third.length / 2));
    await appendFile(files.file(period, '.csv'), 'abc,2026');
    expect(await new CdrFiles(dir).append(period, rs)).toEqual(rs.slice(2));
    const jsonl = await lines(files.file(period, '.jsonl'));
    expect(jsonl.map((l) => (JSON.parse(l) as UsageRecord).id)).toEqual(rs.map((r) => r.id));
    const csv = await lines(files.file(period, '.csv'));
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(rs.map((r) => r.id));
  });

  it('read a file again after a failed write, so that a partial line it left is cut off', async () => {
    const rs = records();
    const files = new CdrFiles(dir);
    await files.append(period, rs.slice(0, 1));
    const jsonl = files.file(period, '.jsonl');
    // The next write fails (here: the file is a directory for a moment) after a partial line.
    await rename(jsonl, `${jsonl}.kept`);
    await mkdir(jsonl);
    await expect(files.append(period, rs.slice(1, 2))).rejects.toThrow();
    await rmdir(jsonl);
    await rename(`${jsonl}.kept`, jsonl);
    await appendFile(jsonl, JSON.stringify(rs[1]).slice(0, 30));
    expect(await files.append(period, rs)).toEqual(rs.slice(1));
    const lines = await readFile(jsonl, 'utf8');
    expect(
      lines
        .split('\n')
        .slice(0, -1)
        .map((l) => (JSON.parse(l) as UsageRecord).id),
    ).toEqual(rs.map((r) => r.id));
  });

  it('write the CSV header again when a kill left only part of it', async () => {
    const files = new CdrFiles(dir);
    await writeFile(files.file(period, '.csv'), 'id,periodSt');
    await files.append(period, records());
    const csv = await lines(files.file(period, '.csv'));
    expect(`${csv[0] ?? ''}\n`).toBe(csvHeader);
    expect(csv).toHaveLength(5);
  });

  it('remember which periods are closed', async () => {
    const files = new CdrFiles(dir);
    expect(await files.closedUntil()).toBeUndefined();
    await files.close(period);
    await files.close(periodAt(t0 + hour, hour));
    expect(await new CdrFiles(dir).closedPeriods()).toEqual([period, periodAt(t0 + hour, hour)]);
    expect(await new CdrFiles(dir).closedUntil()).toBe(t0 + 2 * hour);
  });
});
