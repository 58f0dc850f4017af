import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { SeedError } from './seed-error.ts';
import { limits, seedFiles, type SeedSpec } from './seed-files.ts';

const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtest user@host: with a colon # and a hash';
const base: SeedSpec = { instanceId: 'uid-1', hostname: 'web-1', sshAuthorizedKeys: [key] };

/** The parts of a multipart user-data, each as its headers and body. */
function mimeParts(text: string): { headers: Record<string, string>; body: string }[] {
  const boundary = /boundary="([^"]+)"/.exec(text)?.[1];
  if (boundary === undefined) throw new Error('no boundary');
  const [, ...rest] = text.split(`\n--${boundary}`);
  return rest
    .filter((p) => !p.startsWith('--'))
    .map((p) => {
      const [head = '', ...body] = p.replace(/^\n/, '').split('\n\n');
      const headers = Object.fromEntries(
        head
          .split('\n')
          .map((l) => [
            l.slice(0, l.indexOf(':')).toLowerCase(),
            l.slice(l.indexOf(':') + 1).trim(),
          ]),
      );
      return { headers, body: body.join('\n\n') };
    });
}

describe('seedFiles', () => {
  it('writes meta-data with the instance id and the hostname, nothing else', () => {
    const files = seedFiles(base);
    expect(parse(files['meta-data'])).toEqual({
      'instance-id': 'uid-1',
      'local-hostname': 'web-1',
    });
  });

  it('writes a cloud-config with the keys and a password that does not expire', () => {
    const files = seedFiles({
      ...base,
      password: 'p: w\\"x #y',
      sshAuthorizedKeys: [key, 'ssh-rsa AAAAB3 two'],
    });
    const userData = files['user-data'];
    expect(userData.split('\n')[0]).toBe('#cloud-config');
    expect(parse(userData, { version: '1.1' })).toEqual({
      ssh_authorized_keys: [key, 'ssh-rsa AAAAB3 two'],
      password: 'p: w\\"x #y',
      chpasswd: { expire: false },
    });
  });

  it('writes a cloud-config with no keys and no password as an empty one', () => {
    const files = seedFiles({ ...base, sshAuthorizedKeys: [] });
    expect(files['user-data']).toBe('#cloud-config\n');
  });

  it('refuses a hostname that is not one, a colon or a line break among others', () => {
    for (const hostname of [
      'web-1\nlocal-hostname: evil',
      'a:b',
      '',
      '-web',
      'web_1',
      'a'.repeat(64),
      'a..b',
    ]) {
      expect(() => seedFiles({ ...base, hostname })).toThrow(SeedError);
    }
    expect(() => seedFiles({ ...base, hostname: 'a:b' })).toThrow('is not a hostname');
    expect(seedFiles({ ...base, hostname: 'web-1.example.internal' })['meta-data']).toContain(
      '"web-1.example.internal"',
    );
  });

  it('refuses an instance id, keys or a password it cannot write as one value', () => {
    expect(() => seedFiles({ ...base, instanceId: 'a b' })).toThrow('instance id');
    expect(() => seedFiles({ ...base, sshAuthorizedKeys: ['ssh-rsa A\nssh-rsa B'] })).toThrow(
      'SSH key 1 holds a line break',
    );
    expect(() => seedFiles({ ...base, sshAuthorizedKeys: [key, '  '] })).toThrow(
      'SSH key 2 is empty',
    );
    expect(() =>
      seedFiles({ ...base, sshAuthorizedKeys: Array.from({ length: limits.keys + 1 }, () => key) }),
    ).toThrow('at most');
    expect(() => seedFiles({ ...base, password: 'a\nroot:b' })).toThrow('line break');
    expect(() => seedFiles({ ...base, password: '' })).toThrow('empty');
    expect(() => seedFiles({ ...base, password: 'x\ud800' })).toThrow('not valid Unicode');
  });

  it("passes the user's user-data through untouched when the platform adds nothing", () => {
    const userData = '#cloud-config\nruncmd:\n  - echo hi\n';
    expect(seedFiles({ ...base, sshAuthorizedKeys: [], userData })['user-data']).toBe(userData);
  });

  it("puts the user's user-data and the platform's keys in a multipart, the user's bytes base64'd", () => {
    // A script that even holds the boundary line cannot end its part.
    const script = '#!/bin/sh\necho "--==kcloud-seed-boundary==--"\necho ünï\n';
    const files = seedFiles({ ...base, password: 'secret', userData: script });
    const parts = mimeParts(files['user-data']);
    expect(parts).toHaveLength(2);
    expect(parts[0]?.headers['content-type']).toBe('text/x-shellscript; charset="utf-8"');
    expect(parts[0]?.headers['content-transfer-encoding']).toBe('base64');
    expect(Buffer.from(parts[0]?.body ?? '', 'base64').toString('utf8')).toBe(script);
    expect(parts[1]?.headers['content-type']).toBe('text/cloud-config; charset="utf-8"');
    expect(parse(parts[1]?.body ?? '')).toEqual({
      ssh_authorized_keys: [key],
      password: 'secret',
      chpasswd: { expire: false },
      merge_how: 'list(append)+dict(recurse_array)+str()',
    });
    const config = seedFiles({ ...base, userData: '#cloud-config\nruncmd: [ls]\n' });
    expect(mimeParts(config['user-data'])[0]?.headers['content-type']).toBe(
      'text/cloud-config; charset="utf-8"',
    );
  });

  it('refuses user-data that is neither a cloud-config nor a script, or that no file can hold', () => {
    expect(() => seedFiles({ ...base, userData: 'runcmd: [ls]' })).toThrow(
      'must start with "#cloud-config"',
    );
    expect(() => seedFiles({ ...base, userData: '#cloud-configX\n' })).toThrow('must start');
    expect(() => seedFiles({ ...base, userData: '#!/bin/sh\n\u0000' })).toThrow('NUL');
    expect(() =>
      seedFiles({ ...base, userData: '#!/bin/sh\n' + 'x'.repeat(limits.userDataBytes) }),
    ).toThrow('over');
    expect(
      seedFiles({ ...base, sshAuthorizedKeys: [], userData: '#cloud-config' })['user-data'],
    ).toBe('#cloud-config');
  });
});
