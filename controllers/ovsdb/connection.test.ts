import { describe, expect, it } from '@jest/globals';
import { realClock } from '../clock/index.ts';
import { dial, parseEndpoint, parseEndpoints } from './connection.ts';

describe('parseEndpoint', () => {
  it('reads unix:, tcp: and ssl: remotes as ovn-nbctl writes them', () => {
    expect(parseEndpoint('unix:/run/ovn/ovnnb_db.sock')).toEqual({
      kind: 'unix',
      path: '/run/ovn/ovnnb_db.sock',
      address: 'unix:/run/ovn/ovnnb_db.sock',
    });
    expect(parseEndpoint('tcp:10.0.0.1:6641')).toMatchObject({
      kind: 'tcp',
      host: '10.0.0.1',
      port: 6641,
    });
    expect(parseEndpoint('ssl:[fd00::1]:6642')).toMatchObject({
      kind: 'ssl',
      host: 'fd00::1',
      port: 6642,
    });
  });

  it.each(['ssl:10.0.0.1', 'ssl:host:0', 'ssl::6641', 'pssl:6641', 'tls:10.0.0.1:6641'])(
    'refuses %s',
    (address) => {
      expect(() => parseEndpoint(address)).toThrow(address);
    },
  );
});

describe('dial', () => {
  it('refuses an ssl: endpoint without a key, certificate and CA', async () => {
    await expect(
      dial(parseEndpoint('ssl:127.0.0.1:6641'), { timeoutMs: 1000, clock: realClock }),
    ).rejects.toThrow('an ssl: endpoint needs a key, certificate and CA');
  });

  it('names the file it cannot read', async () => {
    const tls = { keyFile: '/nonexistent/tls.key', certFile: '/nonexistent/tls.crt', caFile: '/x' };
    await expect(
      dial(parseEndpoint('ssl:127.0.0.1:6641'), { timeoutMs: 1000, clock: realClock, tls }),
    ).rejects.toThrow('reading the private key /nonexistent/tls.key');
  });
});

describe('parseEndpoints', () => {
  it('splits comma-separated members as ovn-nbctl does, once each, blanks ignored', () => {
    const endpoints = parseEndpoints([
      'tcp:127.0.0.1:6641, tcp:127.0.0.1:6643,',
      'tcp:127.0.0.1:6641',
      'unix:/run/ovn/ovnnb_db.sock',
    ]);
    expect(endpoints.map((e) => e.address)).toEqual([
      'tcp:127.0.0.1:6641',
      'tcp:127.0.0.1:6643',
      'unix:/run/ovn/ovnnb_db.sock',
    ]);
    expect(() => parseEndpoints(['tcp:a:1,udp:b:2'])).toThrow('endpoint udp:b:2');
  });
});
