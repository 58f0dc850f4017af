// The probe guest build against the real apt, Debian archive, busybox and cpio: each part is
// remade only when its inputs changed. It starts from a copy of the guest `make setup` built.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { probeGuestManifest } from '../../agent/host/hypervisor/index.ts';
import {
  buildProbeGuest,
  guestDir,
  probeInitramfsFile,
  probeMarker,
  type ProbeGuestManifest,
} from './index.ts';

let dir: string;

async function manifest(): Promise<ProbeGuestManifest> {
  return JSON.parse(
    await readFile(path.join(dir, probeGuestManifest), 'utf8'),
  ) as ProbeGuestManifest;
}

async function editManifest(edit: (m: ProbeGuestManifest) => void): Promise<void> {
  const m = await manifest();
  edit(m);
  await writeFile(path.join(dir, probeGuestManifest), JSON.stringify(m));
}

beforeAll(async () => {
  const built = guestDir();
  if (!existsSync(path.join(built, probeGuestManifest))) {
    throw new Error(`no probe guest in ${built}: run make setup (or hack/guest.sh build)`);
  }
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-guest-'));
  await cp(built, dir, { recursive: true });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hack/guest.sh build', () => {
  it('remakes nothing when no input changed', async () => {
    const before = await manifest();
    const initrdTime = (await stat(path.join(dir, probeInitramfsFile))).mtimeMs;
    const r = await buildProbeGuest(dir);
    expect(r.rebuilt).toEqual([]);
    expect(await manifest()).toEqual(before);
    expect((await stat(path.join(dir, probeInitramfsFile))).mtimeMs).toBe(initrdTime);
    expect(r.guest).toEqual({
      kernel: path.join(dir, before.kernel),
      initrd: path.join(dir, probeInitramfsFile),
      marker: probeMarker,
      kernelVersion: before.kernelVersion,
    });
  });

  it('remakes only the initramfs when its inputs changed, with init, busybox and its libraries in it', async () => {
    await editManifest((m) => {
      m.inputs.initramfsDigest = 'something else';
    });
    await rm(path.join(dir, probeInitramfsFile));
    const r = await buildProbeGuest(dir);
    expect(r.rebuilt).toEqual(['initramfs']);
    const listing = execFileSync('cpio', ['-t', '--quiet'], {
      input: gunzipSync(await readFile(path.join(dir, probeInitramfsFile))),
    })
      .toString()
      .split('\n');
    expect(listing).toEqual(expect.arrayContaining(['init', 'bin/busybox', 'dev']));
    const init = execFileSync('cpio', ['-i', '--to-stdout', '--quiet', 'init'], {
      input: gunzipSync(await readFile(path.join(dir, probeInitramfsFile))),
    }).toString();
    expect(init).toContain(probeMarker);
    expect((await manifest()).inputs.initramfsDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fetches the kernel again when the archive names another version, and drops the old one', async () => {
    const current = await manifest();
    await writeFile(path.join(dir, 'vmlinuz-old'), 'old kernel');
    await editManifest((m) => {
      m.kernel = 'vmlinuz-old';
      m.inputs.kernelPackage.version = '0-old';
    });
    await rm(path.join(dir, current.kernel));
    const r = await buildProbeGuest(dir);
    expect(r.rebuilt).toEqual(['kernel']);
    expect(existsSync(path.join(dir, 'vmlinuz-old'))).toBe(false);
    expect(await manifest()).toEqual(current);
    // A bzImage: the boot protocol's "HdrS" magic at 0x202.
    const head = await readFile(path.join(dir, current.kernel));
    expect(head.subarray(0x202, 0x206).toString()).toBe('HdrS');
  });
});
