import { Duplex } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { FakeClock, flushPromises } from '../clock/index.ts';
import { createLogger } from '../logging/logger.ts';
import { ConnectionLostError, NotConnectedError, RpcError } from './errors.ts';
import { JsonRpcSession } from './json-rpc.ts';

const log = createLogger('json-rpc-test', 'error');

/** The peer's end: what the session writes is parsed into `sent`; `receive` feeds it bytes. */
class FakePeer extends Duplex {
  readonly sent: Record<string, unknown>[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.sent.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
    done();
  }

  override _read(): void {
    // Data is pushed by receive().
  }

  receive(...messages: unknown[]): void {
    this.push(Buffer.from(messages.map((m) => JSON.stringify(m)).join('')));
  }
}

function session(
  peer: FakePeer,
  extra: Partial<ConstructorParameters<typeof JsonRpcSession>[1]> = {},
) {
  const notifications: [string, unknown][] = [];
  const s = new JsonRpcSession(peer, {
    peer: 'fake',
    log,
    onNotification: (method, params) => notifications.push([method, params]),
    ...extra,
  });
  return { s, notifications };
}

describe('JsonRpcSession', () => {
  it('matches replies to requests by id, in whatever order they come', async () => {
    const peer = new FakePeer();
    const { s } = session(peer);
    const a = s.request('list_dbs', []);
    const b = s.request('get_schema', ['OVN_Northbound']);
    await flushPromises();
    expect(peer.sent).toEqual([
      { method: 'list_dbs', params: [], id: 1 },
      { method: 'get_schema', params: ['OVN_Northbound'], id: 2 },
    ]);
    peer.receive({ id: 2, result: { name: 'OVN_Northbound' }, error: null });
    peer.receive({ id: 1, result: ['OVN_Northbound'], error: null });
    await expect(a).resolves.toEqual(['OVN_Northbound']);
    await expect(b).resolves.toEqual({ name: 'OVN_Northbound' });
    expect(s.inFlight()).toBe(0);
  });

  it('rejects with the server error of an error reply', async () => {
    const peer = new FakePeer();
    const { s } = session(peer);
    const r = s.request('get_schema', ['nope']);
    peer.receive({ id: 1, result: null, error: { error: 'unknown database', details: 'nope' } });
    await expect(r).rejects.toThrow(RpcError);
    await expect(r).rejects.toThrow('get_schema failed: unknown database: nope');
  });

  it("answers the peer's echo with its own id and params", async () => {
    const peer = new FakePeer();
    session(peer);
    peer.receive({ method: 'echo', params: ['ping', 7], id: 'echo' });
    await flushPromises();
    expect(peer.sent).toEqual([{ id: 'echo', result: ['ping', 7], error: null }]);
  });

  it('refuses other requests from the peer', async () => {
    const peer = new FakePeer();
    session(peer);
    peer.receive({ method: 'lock', params: ['x'], id: 9 });
    await flushPromises();
    expect(peer.sent).toEqual([{ id: 9, result: null, error: 'unknown method lock' }]);
  });

  it('hands notifications over in arrival order, before the continuation of an earlier reply runs', async () => {
    const peer = new FakePeer();
    const order: string[] = [];
    const { s } = session(peer, {
      onNotification: (method, params) => order.push(`${method} ${JSON.stringify(params)}`),
    });
    const r = s.request('transact', []).then(() => order.push('reply'));
    peer.receive(
      { method: 'update2', params: ['m', 1], id: null },
      { id: 1, result: [], error: null },
      { method: 'update2', params: ['m', 2], id: null },
    );
    await r;
    expect(order).toEqual(['update2 ["m",1]', 'update2 ["m",2]', 'reply']);
  });

  it('rejects requests in flight with ConnectionLostError when the stream closes', async () => {
    const peer = new FakePeer();
    const { s } = session(peer);
    const r = s.request('transact', ['OVN_Northbound']);
    peer.destroy();
    await expect(r).rejects.toThrow(ConnectionLostError);
    await expect(r).rejects.toThrow('lost before transact was answered');
    await expect(r).rejects.toThrow('may or may not have taken effect');
    await expect(s.request('transact', [])).rejects.toThrow(NotConnectedError);
  });

  it('closes on bytes that are not JSON-RPC', async () => {
    const peer = new FakePeer();
    const { s } = session(peer);
    const r = s.request('list_dbs', []);
    peer.push(Buffer.from('{"id": }'));
    await expect(r).rejects.toThrow(ConnectionLostError);
    expect((await s.closed).message).toContain('protocol error from fake');
  });

  it('closes when a notification handler throws', async () => {
    const peer = new FakePeer();
    const { s } = session(peer, {
      onNotification: () => {
        throw new Error('replica out of step');
      },
    });
    peer.receive({ method: 'update2', params: [], id: null });
    expect((await s.closed).message).toBe('replica out of step');
  });

  describe('keepalive', () => {
    it('sends an echo every interval and stays open while the peer answers', async () => {
      const clock = new FakeClock(0);
      const peer = new FakePeer();
      const { s } = session(peer, { keepalive: { intervalMs: 100, timeoutMs: 300, clock } });
      for (let i = 0; i < 5; i++) {
        await clock.advance(100);
        const echo = peer.sent.at(-1);
        expect(echo).toMatchObject({ method: 'echo', params: [] });
        peer.receive({ id: echo?.id, result: [], error: null });
        await flushPromises();
      }
      expect(peer.sent.filter((m) => m.method === 'echo')).toHaveLength(5);
      let closed = false;
      void s.closed.then(() => (closed = true));
      await flushPromises();
      expect(closed).toBe(false);
      s.close(new Error('done'));
      expect(clock.pending()).toBe(0);
    });

    it('closes once nothing has arrived for the timeout, and not before', async () => {
      const clock = new FakeClock(0);
      const peer = new FakePeer();
      const { s } = session(peer, { keepalive: { intervalMs: 100, timeoutMs: 350, clock } });
      const pending = s.request('transact', []);
      pending.catch(() => undefined);
      let reason: Error | undefined;
      void s.closed.then((r) => (reason = r));
      await clock.advance(349);
      expect(reason).toBeUndefined();
      expect(peer.sent.filter((m) => m.method === 'echo')).toHaveLength(3);
      await clock.advance(1);
      expect(reason?.message).toBe('no message from fake for 350 ms (echo timeout)');
      await expect(pending).rejects.toThrow(ConnectionLostError);
      expect(clock.pending()).toBe(0);
    });

    it('counts any traffic from the peer as alive, not only echo replies', async () => {
      const clock = new FakeClock(0);
      const peer = new FakePeer();
      const { s, notifications } = session(peer, {
        keepalive: { intervalMs: 100, timeoutMs: 250, clock },
      });
      let closed = false;
      void s.closed.then(() => (closed = true));
      for (let i = 0; i < 10; i++) {
        await clock.advance(200);
        peer.receive({ method: 'update2', params: [i], id: null });
        await flushPromises();
      }
      expect(notifications).toHaveLength(10);
      expect(closed).toBe(false);
      await clock.advance(250);
      expect(closed).toBe(true);
    });
  });
});
