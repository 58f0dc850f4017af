// The seed writer against the real mtools, and the demo guest's own readers (its
// cloud-config.awk and mime.awk, run by busybox awk as in the guest) on what it wrote: every
// hostile value comes back as exactly itself, under the key it was written for.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { repoRoot } from '../../../../hack/cluster/index.ts';
import {
  SeedError,
  seedFiles,
  writeSeed,
  type SeedSpec,
} from '../../../../operators/ecs/backend/seed/index.ts';

const exec = promisify(execFile);
const guestScripts = path.join(repoRoot, 'hack', 'guest', 'demo-rootfs', 'etc', 'kcloud');

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-seed-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mtoolsEnv = { ...process.env, MTOOLSRC: '/dev/null', MTOOLS_SKIP_CHECK: '1' };

async function mtype(image: string, name: string): Promise<string> {
  return (await exec('mtype', ['-i', image, `::${name}`], { env: mtoolsEnv })).stdout;
}

/** What the guest's cloud-config.awk reads from `text`: `mode` scalar, list or runcmd. */
async function guestRead(text: string, mode: string, key: string): Promise<string> {
  const file = path.join(dir, `doc-${String(Math.random()).slice(2)}`);
  await writeFile(file, text);
  const { stdout } = await exec('busybox', [
    'awk',
    '-v',
    `mode=${mode}`,
    '-v',
    `key=${key}`,
    '-f',
    path.join(guestScripts, 'cloud-config.awk'),
    file,
  ]);
  return stdout;
}

const hostileKey = 'ssh-ed25519 AAAAC3Nza key: "quoted" \\n #not-a-comment ünï ☃ 😀';
const hostilePassword = `pa:ss "w'o\\rd" #x - [y] {z} 😀`;

describe('writeSeed', () => {
  it('writes a FAT image labelled CIDATA holding exactly the seed files, atomically', async () => {
    const spec: SeedSpec = {
      instanceId: 'b6f2c6a4-0000-4000-8000-000000000001',
      hostname: 'web-1',
      sshAuthorizedKeys: [hostileKey],
      password: hostilePassword,
    };
    const file = path.join(dir, 'seed.img');
    const written = await writeSeed(file, spec);
    expect(written).toEqual({ file, bytes: (await stat(file)).size });
    expect(written.bytes).toBe(2 ** 20);
    const info = (await exec('minfo', ['-i', file, '::'], { env: mtoolsEnv })).stdout;
    expect(info).toMatch(/disk label="CIDATA *"/);
    const expected = seedFiles(spec);
    expect(await mtype(file, 'meta-data')).toBe(expected['meta-data']);
    expect(await mtype(file, 'user-data')).toBe(expected['user-data']);
    // Nothing beside the image: the temporary folder is gone.
    expect(await readdir(dir)).toEqual(['seed.img']);

    // A second write replaces the image whole.
    await writeSeed(file, { ...spec, hostname: 'web-2' });
    expect(await mtype(file, 'meta-data')).toContain('local-hostname: "web-2"');
    expect(await readdir(dir)).toEqual(['seed.img']);
  });

  it('sizes the image for large user-data', async () => {
    const file = path.join(dir, 'big.img');
    const userData = '#!/bin/sh\n' + '# padding\n'.repeat(100_000);
    const { bytes } = await writeSeed(file, {
      instanceId: 'big',
      hostname: 'big',
      sshAuthorizedKeys: [],
      userData,
    });
    expect(bytes).toBe(2 * 2 ** 20);
    expect(await mtype(file, 'user-data')).toBe(userData);
    await rm(file);
  });

  it('refuses what it cannot write and leaves nothing behind', async () => {
    const sub = path.join(dir, 'refused');
    await mkdir(sub);
    await expect(
      writeSeed(path.join(sub, 'seed.img'), {
        instanceId: 'x',
        hostname: 'web\nlocal-hostname: evil',
        sshAuthorizedKeys: [],
      }),
    ).rejects.toThrow(SeedError);
    expect(await readdir(sub)).toEqual([]);
  });
});

describe("the demo guest's seed readers on what the writer wrote", () => {
  it('read back the hostname, every key and the password as they were given', async () => {
    const keys = [hostileKey, 'ssh-rsa AAAAB3 second', "it's key: three"];
    const files = seedFiles({
      instanceId: 'i-1',
      hostname: 'web-1',
      sshAuthorizedKeys: keys,
      password: hostilePassword,
    });
    expect(await guestRead(files['meta-data'], 'scalar', 'local-hostname')).toBe('web-1\n');
    expect(await guestRead(files['meta-data'], 'scalar', 'instance-id')).toBe('i-1\n');
    expect(await guestRead(files['user-data'], 'list', 'ssh_authorized_keys')).toBe(
      keys.join('\n') + '\n',
    );
    expect(await guestRead(files['user-data'], 'scalar', 'password')).toBe(hostilePassword + '\n');
    // A key's text never becomes a key of the document.
    await expect(guestRead(files['user-data'], 'scalar', 'local-hostname')).rejects.toThrow();
  });

  it("split a multipart into the user's part, decoded, and the platform's", async () => {
    const userData = '#cloud-config\nruncmd:\n  - echo "a b" > /x\n  - [ sh, -c, "echo \'q\'" ]\n';
    const files = seedFiles({
      instanceId: 'i-1',
      hostname: 'web-1',
      sshAuthorizedKeys: [hostileKey],
      userData,
    });
    const parts = path.join(dir, 'parts');
    await mkdir(parts);
    const ud = path.join(dir, 'user-data');
    await writeFile(ud, files['user-data']);
    const { stdout } = await exec('busybox', [
      'awk',
      '-v',
      `dir=${parts}`,
      '-f',
      path.join(guestScripts, 'mime.awk'),
      ud,
    ]);
    expect(stdout).toBe(
      `${parts}/01 text/cloud-config base64\n${parts}/02 text/cloud-config 7bit\n`,
    );
    const first = Buffer.from(await readFile(path.join(parts, '01'), 'utf8'), 'base64').toString();
    expect(first).toBe(userData);
    expect(await guestRead(first, 'runcmd', 'runcmd')).toBe(
      `echo "a b" > /x\n'sh' '-c' 'echo '\\''q'\\'''\n`,
    );
    const second = await readFile(path.join(parts, '02'), 'utf8');
    expect(await guestRead(second, 'list', 'ssh_authorized_keys')).toBe(hostileKey + '\n');
  });

  it('read a hand-written cloud-config as a YAML parser does, for the forms seeds use', async () => {
    const doc = [
      '#cloud-config',
      'hostname: web-9   # a comment',
      'ssh_authorized_keys:',
      '  - "ssh-ed25519 AAAA one: \\u00e9"',
      "  - 'ssh-rsa AAAA it''s two'",
      '  - ssh-ecdsa AAAA three # comment',
      'password: |',
      '  multi',
      '  line',
      'public-keys: {0: {openssh-key: x}}',
      'runcmd:',
      '- echo plain',
      '- [ ls, "-l", \'/root dir\' ]',
      '- >',
      '  folded',
      '  text',
      'users:',
      '  - name: nobody',
      '',
    ].join('\n');
    const parsed = parse(doc) as {
      hostname: string;
      ssh_authorized_keys: string[];
      password: string;
      runcmd: (string | string[])[];
    };
    expect(await guestRead(doc, 'scalar', 'hostname')).toBe(`${parsed.hostname}\n`);
    expect(await guestRead(doc, 'list', 'ssh_authorized_keys')).toBe(
      parsed.ssh_authorized_keys.join('\n') + '\n',
    );
    // A | block keeps its lines; the reader leaves out the final line break.
    expect(await guestRead(doc, 'scalar', 'password')).toBe(parsed.password);
    expect(await guestRead(doc, 'runcmd', 'runcmd')).toBe(
      "echo plain\n'ls' '-l' '/root dir'\nfolded text\n",
    );
    expect(parsed.runcmd[2]).toBe('folded text\n');
    // A mapping is nothing this reader knows: no key comes of it.
    expect(await guestRead(doc, 'list', 'public-keys')).toBe('');
  });
});
