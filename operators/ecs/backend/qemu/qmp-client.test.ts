import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { isVmError } from './errors.ts';
import { type FakeCommand, FakeQmpServer } from './fake-qmp-server.ts';
import { QmpClient, QmpCommandError } from './qmp-client.ts';

let server: FakeQmpServer;
/** Negotiates capabilities, then answers nothing. */
const unanswered = (cmd: FakeCommand) =>
  cmd.execute === 'qmp_capabilities' ? { return: {} } : undefined;
const clients: QmpClient[] = [];

async function connect(opts = {}): Promise<QmpClient> {
  const c = await QmpClient.connect(server.path, opts);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  server = await FakeQmpServer.start();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.stop();
});

describe('QmpClient', () => {
  it('reads the greeting and negotiates capabilities before anything else', async () => {
    const c = await connect();
    expect(c.greeting).toEqual({ version: '7.2.22', capabilities: ['oob'] });
    expect(server.received.map((r) => r.execute)).toEqual(['qmp_capabilities']);
  });

  it('matches replies to commands by id, whatever order they come in', async () => {
    let slowAnswer: ((v: { return: unknown }) => void) | undefined;
    server.handle = (cmd) => {
      if (cmd.execute === 'slow') return new Promise((r) => (slowAnswer = r));
      return { return: { echo: cmd.execute, args: cmd.arguments } };
    };
    const c = await connect();
    const slow = c.execute('slow');
    const fast = c.execute('query-status', { x: 1 });
    await expect(fast).resolves.toEqual({ echo: 'query-status', args: { x: 1 } });
    slowAnswer?.({ return: 'late' });
    await expect(slow).resolves.toBe('late');
    const ids = server.received.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reassembles replies split across writes and ignores blank lines', async () => {
    server.handle = unanswered;
    const c = await connect();
    const p = c.execute('query-name');
    await new Promise((r) => setTimeout(r, 20));
    const id = server.received.at(-1)?.id;
    const text = JSON.stringify({ return: { name: 'vm' }, id });
    server.sendRaw('\r\n' + text.slice(0, 7));
    await new Promise((r) => setTimeout(r, 20));
    server.sendRaw(text.slice(7) + '\r\n');
    await expect(p).resolves.toEqual({ name: 'vm' });
  });

  it('rejects with the QMP error class and description', async () => {
    server.handle = (cmd) =>
      cmd.execute === 'device_del'
        ? { error: { class: 'DeviceNotFound', desc: "Device 'disk-x' not found" } }
        : { return: {} };
    const c = await connect();
    const err = await c.execute('device_del', { id: 'disk-x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpCommandError);
    expect(err).toMatchObject({
      errorClass: 'DeviceNotFound',
      reason: 'CommandFailed',
      message: "QMP device_del: Device 'disk-x' not found",
    });
  });

  it('times a command out with a clear error and drops its late reply', async () => {
    let answer: ((v: { return: unknown }) => void) | undefined;
    server.handle = (cmd) =>
      cmd.execute === 'stuck' ? new Promise((r) => (answer = r)) : { return: 'ok' };
    const c = await connect();
    const err = await c.execute('stuck', undefined, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(isVmError(err, 'MonitorUnavailable')).toBe(true);
    expect((err as Error).message).toBe(
      'QMP stuck got no answer within 0.1 s: QEMU is stuck or overloaded',
    );
    answer?.({ return: 'too late' });
    // The connection stays usable and the late reply is not taken for the next command.
    await expect(c.execute('next')).resolves.toBe('ok');
  });

  it('delivers events to listeners and to a waiter registered before the command', async () => {
    server.handle = (cmd, s) => {
      if (cmd.execute === 'device_del') {
        // QEMU may send the event before the reply.
        s.emit('DEVICE_DELETED', { device: 'other', path: '/machine/peripheral/other' });
        s.emit('DEVICE_DELETED', { device: 'disk-a', path: '/machine/peripheral/disk-a' });
      }
      return { return: {} };
    };
    const c = await connect();
    const seen: string[] = [];
    const off = c.onEvent((e) => seen.push(e.event));
    const deleted = c.waitForEvent('DEVICE_DELETED', {
      match: (e) => e.data.device === 'disk-a',
      timeoutMs: 1000,
    });
    await c.execute('device_del', { id: 'disk-a' });
    await expect(deleted).resolves.toMatchObject({
      event: 'DEVICE_DELETED',
      data: { device: 'disk-a' },
      timestamp: { seconds: 1, microseconds: 2 },
    });
    server.emit('STOP');
    server.emit('RESUME');
    server.emit('BLOCK_JOB_COMPLETED', { device: 'j1' });
    await new Promise((r) => setTimeout(r, 30));
    off();
    server.emit('RESET');
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([
      'DEVICE_DELETED',
      'DEVICE_DELETED',
      'STOP',
      'RESUME',
      'BLOCK_JOB_COMPLETED',
    ]);
  });

  it('gives up waiting for an event after its timeout', async () => {
    const c = await connect();
    await expect(c.waitForEvent('SHUTDOWN', { timeoutMs: 30 })).rejects.toThrow(
      'no SHUTDOWN event within 0.0 s',
    );
  });

  it('survives QEMU going away: pending commands and waiters reject, closed resolves', async () => {
    server.handle = unanswered;
    const c = await connect();
    const pending = c.execute('query-status');
    const waiter = c.waitForEvent('SHUTDOWN', { timeoutMs: 10_000 });
    server.dropClients();
    await expect(pending).rejects.toThrow(
      /^QMP query-status: the monitor connection closed before the answer/,
    );
    await expect(waiter).rejects.toThrow(/closed while waiting for SHUTDOWN/);
    expect((await c.closed)?.message).toMatch(/QEMU closed the monitor connection|ECONNRESET/);
    expect(c.open).toBe(false);
    await expect(c.execute('query-status')).rejects.toMatchObject({
      reason: 'MonitorUnavailable',
    });
  });

  it('says so when no QEMU listens at the path', async () => {
    await expect(
      QmpClient.connect(path.join(path.dirname(server.path), 'none.sock')),
    ).rejects.toMatchObject({
      reason: 'MonitorUnavailable',
      message: expect.stringMatching(/none\.sock is not reachable: .*ENOENT/) as unknown,
    });
  });

  it('times out a connection that gets no greeting, naming the one-client rule', async () => {
    server.greet = false;
    await expect(QmpClient.connect(server.path, { timeoutMs: 50 })).rejects.toThrow(
      /did not greet within 0\.1 s \(QEMU serves one monitor client at a time/,
    );
    // The abandoned connection is closed, not left holding the monitor.
    await new Promise((r) => setTimeout(r, 30));
    expect(server.clients).toBe(0);
  });

  it('refuses a connection that sends something other than JSON', async () => {
    server.handle = unanswered;
    const c = await connect();
    const p = c.execute('query-status');
    server.sendRaw('not json\n');
    await expect(p).rejects.toThrow(/QMP sent something that is not JSON: not json/);
  });
});
