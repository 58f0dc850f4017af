import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type AgentCommand, type AgentReply, FakeGuestAgent } from './fake-guest-agent.ts';
import { GuestAgentClient } from './guest-agent-client.ts';

let agent: FakeGuestAgent;
const clients: GuestAgentClient[] = [];

async function connect(timeoutMs = 2000): Promise<GuestAgentClient> {
  const c = await GuestAgentClient.connect(agent.path, { timeoutMs });
  clients.push(c);
  return c;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v) + '\n');

beforeEach(async () => {
  agent = await FakeGuestAgent.start();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await agent.stop();
});

describe('GuestAgentClient', () => {
  it('resyncs with 0xFF and guest-sync-delimited before its first command, and only then', async () => {
    const c = await connect();
    await c.ping();
    await c.ping();
    expect(agent.received.map((r) => r.execute)).toEqual([
      'guest-sync-delimited',
      'guest-ping',
      'guest-ping',
    ]);
    expect(agent.resyncs).toBe(1);
    expect(typeof agent.received[0]?.arguments?.id).toBe('number');
  });

  it('discards what the channel held before the 0xFF, and stale sync replies after it', async () => {
    agent.handle = (cmd) => {
      if (cmd.execute !== 'guest-sync-delimited') return agent.standard(cmd);
      // A reply to a command of an earlier client, half a line, then a sync reply for some
      // earlier id, then ours.
      return {
        raw: Buffer.concat([
          json({ return: { 'host-name': 'stale' } }),
          Buffer.from('{"retu'),
          Buffer.from([0xff]),
          json({ return: 12345 }),
          Buffer.from([0xff]),
          json({ return: cmd.arguments?.id }),
        ]),
      };
    };
    const c = await connect();
    agent.handle = ((orig) => (cmd: AgentCommand) =>
      cmd.execute === 'guest-get-host-name' ? { return: { 'host-name': 'web-1' } } : orig(cmd))(
      agent.handle,
    );
    await expect(c.hostName()).resolves.toBe('web-1');
  });

  it('says the agent is unavailable when nothing answers, and resyncs on the next try', async () => {
    const silent = (): AgentReply | undefined => undefined;
    agent.handle = silent;
    const c = await connect(100);
    await expect(c.ping()).rejects.toMatchObject({
      reason: 'GuestAgentUnavailable',
      message:
        'guest agent guest-sync-delimited: no answer within 0.1 s (is qemu-guest-agent running in the guest?)',
    });
    agent.handle = (cmd) => agent.standard(cmd);
    await c.ping();
    expect(agent.resyncs).toBe(2);
  });

  it('does not take a late reply for the next command', async () => {
    let slow: AgentCommand | undefined;
    agent.handle = (cmd) => {
      if (cmd.execute === 'guest-get-host-name') {
        slow = cmd;
        return undefined;
      }
      return agent.standard(cmd);
    };
    const c = await connect(100);
    await c.ping();
    await expect(c.hostName()).rejects.toMatchObject({ reason: 'GuestAgentUnavailable' });
    expect(slow).toBeDefined();
    // The late answer arrives now, before the next command.
    agent.write(json({ return: { 'host-name': 'late' } }));
    await new Promise((r) => setTimeout(r, 20));
    agent.handle = (cmd) =>
      cmd.execute === 'guest-get-host-name'
        ? { return: { 'host-name': 'fresh' } }
        : agent.standard(cmd);
    await expect(c.hostName()).resolves.toBe('fresh');
  });

  it('passes agent errors on with their class', async () => {
    const c = await connect();
    await expect(c.freezeFilesystems()).rejects.toMatchObject({
      reason: 'GuestCommandFailed',
      errorClass: 'CommandNotFound',
      message:
        'guest agent guest-fsfreeze-freeze: The command guest-fsfreeze-freeze has not been found',
    });
  });

  it('sets a password base64-encoded and not crypted', async () => {
    agent.handle = (cmd) =>
      cmd.execute === 'guest-set-user-password' ? { return: {} } : agent.standard(cmd);
    const c = await connect();
    await c.setUserPassword('root', 'pässwörd,1');
    expect(agent.received.at(-1)).toEqual({
      execute: 'guest-set-user-password',
      arguments: {
        username: 'root',
        password: Buffer.from('pässwörd,1').toString('base64'),
        crypted: false,
      },
    });
  });

  it('reads the memory blocks and onlines some, naming any block the guest refused', async () => {
    let refuse = false;
    agent.handle = (cmd) => {
      if (cmd.execute === 'guest-get-memory-block-info') return { return: { size: 134217728 } };
      if (cmd.execute === 'guest-get-memory-blocks') {
        return {
          return: [
            { 'phys-index': 32, online: false, 'can-offline': true },
            { 'phys-index': 0, online: true, 'can-offline': false },
          ],
        };
      }
      if (cmd.execute === 'guest-set-memory-blocks') {
        const blocks = (cmd.arguments?.['mem-blks'] ?? []) as { 'phys-index': number }[];
        return {
          return: blocks.map((b) =>
            refuse
              ? { 'phys-index': b['phys-index'], response: 'operation-failed', 'error-code': 16 }
              : { 'phys-index': b['phys-index'], response: 'success' },
          ),
        };
      }
      return agent.standard(cmd);
    };
    const c = await connect();
    expect(await c.memoryBlockBytes()).toBe(128 * 2 ** 20);
    expect(await c.memoryBlocks()).toEqual([
      { index: 32, online: false },
      { index: 0, online: true },
    ]);
    await c.onlineMemoryBlocks([32, 33]);
    expect(agent.received.at(-1)).toEqual({
      execute: 'guest-set-memory-blocks',
      arguments: {
        'mem-blks': [
          { 'phys-index': 32, online: true },
          { 'phys-index': 33, online: true },
        ],
      },
    });
    refuse = true;
    await expect(c.onlineMemoryBlocks([33])).rejects.toMatchObject({
      reason: 'GuestCommandFailed',
      message: 'guest agent guest-set-memory-blocks: block 33: operation-failed (errno 16)',
    });
    const sent = agent.received.length;
    await c.onlineMemoryBlocks([]);
    expect(agent.received).toHaveLength(sent);
  });

  it('runs a command with guest-exec and collects its exit code and output from guest-exec-status', async () => {
    let polls = 0;
    agent.handle = (cmd) => {
      if (cmd.execute === 'guest-exec') return { return: { pid: 42 } };
      if (cmd.execute === 'guest-exec-status') {
        expect(cmd.arguments).toEqual({ pid: 42 });
        polls++;
        return polls < 3
          ? { return: { exited: false } }
          : {
              return: {
                exited: true,
                exitcode: 3,
                'out-data': Buffer.from('131072\n').toString('base64'),
                'err-data': Buffer.from('warn').toString('base64'),
              },
            };
      }
      return agent.standard(cmd);
    };
    const c = await connect();
    await expect(c.exec('/bin/cat', ['/sys/block/vdb/size'], { input: 'x' })).resolves.toEqual({
      exitCode: 3,
      stdout: '131072\n',
      stderr: 'warn',
      truncated: false,
    });
    expect(agent.received.find((r) => r.execute === 'guest-exec')?.arguments).toEqual({
      path: '/bin/cat',
      arg: ['/sys/block/vdb/size'],
      'input-data': Buffer.from('x').toString('base64'),
      'capture-output': true,
    });
  });

  it('gives up on a guest command that runs too long', async () => {
    agent.handle = (cmd) =>
      cmd.execute === 'guest-exec'
        ? { return: { pid: 7 } }
        : cmd.execute === 'guest-exec-status'
          ? { return: { exited: false } }
          : agent.standard(cmd);
    const c = await connect();
    await expect(c.exec('/bin/sleep', ['100'], { timeoutMs: 100 })).rejects.toThrow(
      'guest-exec /bin/sleep: still running after 0.1 s (guest pid 7)',
    );
  });

  it('freezes and thaws filesystems, returning how many', async () => {
    let frozen = false;
    agent.handle = (cmd) => {
      if (cmd.execute === 'guest-fsfreeze-freeze') return ((frozen = true), { return: 2 });
      if (cmd.execute === 'guest-fsfreeze-thaw') return ((frozen = false), { return: 2 });
      if (cmd.execute === 'guest-fsfreeze-status') return { return: frozen ? 'frozen' : 'thawed' };
      return agent.standard(cmd);
    };
    const c = await connect();
    await expect(c.freezeFilesystems()).resolves.toBe(2);
    await expect(c.filesystemsFrozen()).resolves.toBe(true);
    await expect(c.thawFilesystems()).resolves.toBe(2);
    await expect(c.filesystemsFrozen()).resolves.toBe(false);
  });

  it('runs commands one at a time even when called together', async () => {
    const c = await connect();
    await Promise.all([c.ping(), c.ping(), c.ping()]);
    expect(agent.received.map((r) => r.execute)).toEqual([
      'guest-sync-delimited',
      'guest-ping',
      'guest-ping',
      'guest-ping',
    ]);
  });

  it('fails clearly when the channel closes mid-command or is not there', async () => {
    agent.handle = (cmd) => (cmd.execute === 'guest-ping' ? undefined : agent.standard(cmd));
    const c = await connect(5000);
    const p = c.ping();
    await new Promise((r) => setTimeout(r, 30));
    agent.dropClients();
    await expect(p).rejects.toThrow(/^guest agent guest-ping: the channel closed/);
    await expect(GuestAgentClient.connect(agent.path + '.none')).rejects.toThrow(
      /channel .*\.none is not reachable: .*ENOENT/,
    );
  });

  it('waits while the channel queue is full (QEMU serves one client, backlog one) and connects when it drains', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-qga-busy-'));
    const sock = path.join(dir, 'qga.sock');
    // A channel like QEMU's: backlog one, and nothing accepted for 3 s (its event loop held).
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const net = require('node:net');
         const server = net.createServer((s) => s.on('data', (d) => {
           for (const line of d.toString('latin1').split('\\n')) {
             const m = /"id":\\s*(\\d+)/.exec(line);
             if (line.includes('guest-sync-delimited') && m) s.write(Buffer.from('\\xff{"return":' + m[1] + '}\\n', 'latin1'));
             else if (line.includes('guest-ping')) s.write('{"return":{}}\\n');
           }
         }).on('error', () => {}));
         server.listen({ path: process.argv[1], backlog: 1 }, () => {
           console.log('listening');
           Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
         });`,
        sock,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const queued: net.Socket[] = [];
    try {
      await once(child.stdout, 'data');
      // Two clients that gave up fill the queue.
      for (let n = 0; n < 2; n++) {
        const s = net.createConnection({ path: sock });
        await once(s, 'connect');
        s.destroy();
        queued.push(s);
      }
      const plain = net.createConnection({ path: sock });
      const [refused] = (await once(plain, 'error')) as [NodeJS.ErrnoException];
      expect(refused.code).toBe('EAGAIN');
      await expect(GuestAgentClient.connect(sock, { timeoutMs: 200 })).rejects.toThrow(
        /not reachable: connect EAGAIN .*\(its queue stayed full for 0\.2 s\)/,
      );
      const c = await GuestAgentClient.connect(sock, { timeoutMs: 10_000 });
      clients.push(c);
      await c.ping();
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
