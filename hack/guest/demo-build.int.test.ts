// The demo guest build against the real apt, Debian archive, syslinux, mtools and qemu-img: the
// disk is a qcow2 whose manifest tells its sha256 and size, with an MBR, a bootable FAT
// partition holding syslinux, the kernel and an initramfs with the guest's programs, and it is
// remade only when its inputs changed. It starts from a copy of the guest `make setup` built.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { sha256File } from '../images/archive.ts';
import {
  buildDemoGuest,
  demoGuestImage,
  demoGuestManifest,
  guestDir,
  type DemoGuestManifest,
} from './index.ts';

const exec = promisify(execFile);
const mtoolsEnv = { ...process.env, MTOOLSRC: '/dev/null', MTOOLS_SKIP_CHECK: '1' };
let dir: string;

async function manifest(): Promise<DemoGuestManifest> {
  return JSON.parse(await readFile(path.join(dir, demoGuestManifest), 'utf8')) as DemoGuestManifest;
}

beforeAll(async () => {
  const built = guestDir();
  if (!existsSync(path.join(built, demoGuestManifest))) {
    throw new Error(`no demo guest in ${built}: run make setup (or hack/guest.sh build)`);
  }
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-demo-guest-'));
  await cp(built, dir, { recursive: true });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the demo guest build', () => {
  it('remakes nothing when no input changed', async () => {
    const before = await manifest();
    const image = path.join(dir, demoGuestImage);
    const mtime = (await stat(image)).mtimeMs;
    const r = await buildDemoGuest(dir);
    expect(r.built).toBe(false);
    expect(await manifest()).toEqual(before);
    expect((await stat(image)).mtimeMs).toBe(mtime);
  });

  it('remakes the disk when an input changed: a qcow2 with the sha256 and size its manifest says', async () => {
    const old = await manifest();
    await writeFile(
      path.join(dir, demoGuestManifest),
      JSON.stringify({ ...old, inputs: { ...old.inputs, digest: 'something else' } }),
    );
    const r = await buildDemoGuest(dir);
    expect(r.built).toBe(true);
    const m = await manifest();
    const image = path.join(dir, demoGuestImage);
    expect(r.guest).toEqual({
      image,
      format: 'qcow2',
      sha256: m.sha256,
      bytes: m.bytes,
      virtualBytes: m.virtualBytes,
      kernelVersion: old.kernelVersion,
    });
    expect(m.inputs.digest).toBe(old.inputs.digest);
    expect(m.sha256).toBe(await sha256File(image));
    expect(m.bytes).toBe((await stat(image)).size);
    const info = JSON.parse((await exec('qemu-img', ['info', '--output=json', image])).stdout) as {
      format: string;
      'virtual-size': number;
    };
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBe(m.virtualBytes);
  });

  it('boots by itself: an MBR, a bootable FAT partition with syslinux, the kernel and the userland', async () => {
    const raw = path.join(dir, 'disk.raw');
    await exec('qemu-img', [
      'convert',
      '-f',
      'qcow2',
      '-O',
      'raw',
      path.join(dir, demoGuestImage),
      raw,
    ]);
    const handle = await open(raw, 'r');
    const mbr = Buffer.alloc(512);
    await handle.read(mbr, 0, 512, 0);
    await handle.close();
    expect([mbr[510], mbr[511]]).toEqual([0x55, 0xaa]);
    expect(mbr[446]).toBe(0x80);
    expect(mbr.readUInt32LE(446 + 8)).toBe(2048);
    const part = `${raw}@@${String(2048 * 512)}`;
    const listing = (await exec('mdir', ['-a', '-b', '-i', part, '::'], { env: mtoolsEnv })).stdout;
    for (const f of ['ldlinux.sys', 'ldlinux.c32', 'syslinux.cfg', 'vmlinuz', 'initrd.gz']) {
      expect(listing).toContain(`::/${f}`);
    }
    const initrd = path.join(dir, 'initrd.gz');
    await exec('mcopy', ['-i', part, '::initrd.gz', initrd], { env: mtoolsEnv });
    const files = execFileSync('cpio', ['-t', '--quiet'], {
      input: gunzipSync(await readFile(initrd)),
      maxBuffer: 64 * 2 ** 20,
    })
      .toString()
      .split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'init',
        'bin/busybox',
        'usr/sbin/dropbear',
        'usr/sbin/qemu-ga',
        'usr/sbin/chpasswd',
        'lib64/ld-linux-x86-64.so.2',
        'usr/lib/x86_64-linux-gnu/libglib-2.0.so.0',
        'etc/inittab',
        'etc/kcloud/boot',
        'etc/kcloud/modules',
        'etc/acpi/PWRF/00000080',
      ]),
    );
    for (const module of [
      'virtio_net.ko',
      'virtio_blk.ko',
      'virtio_console.ko',
      'vfat.ko',
      'button.ko',
    ]) {
      expect(files.some((f) => f.endsWith(`/${module}`))).toBe(true);
    }
  });
});
