import net from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { freePort } from '../cluster/index.ts';
import { portIsFree } from '../cluster/index.ts';
import { choosePorts } from './ports.ts';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve(server);
    });
  });
}

describe('choosing the TCP ports of the OVN databases', () => {
  it('keeps the previous ports while both are free', async () => {
    const previous = { nb: await freePort(), sb: await freePort() };
    expect(await choosePorts(previous)).toEqual(previous);
  });

  it('takes two new, distinct ports when one of the previous is taken', async () => {
    const taken = await listen(0);
    try {
      const address = taken.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      expect(await portIsFree(port)).toBe(false);
      const previous = { nb: port, sb: await freePort() };
      const chosen = await choosePorts(previous);
      expect(chosen.nb).not.toBe(port);
      expect(chosen.nb).not.toBe(chosen.sb);
    } finally {
      taken.close();
    }
  });
});

describe('choosing the ports while one database still runs', () => {
  it('keeps the port of the running database, though it is in use', async () => {
    const held = await listen(0);
    try {
      const address = held.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      const previous = { nb: port, sb: await freePort() };
      expect(await choosePorts(previous, { nb: true })).toEqual(previous);
    } finally {
      held.close();
    }
  });

  it('moves only the stopped database whose port another program took', async () => {
    const taken = await listen(0);
    try {
      const address = taken.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      const previous = { nb: await freePort(), sb: port };
      const chosen = await choosePorts(previous, { nb: true });
      expect(chosen.nb).toBe(previous.nb);
      expect(chosen.sb).not.toBe(port);
      expect(chosen.sb).not.toBe(chosen.nb);
    } finally {
      taken.close();
    }
  });
});
