import { describe, expect, it } from '@jest/globals';
import { parseDuration, parseHostPort } from './flags.ts';

describe('flag parsing', () => {
  it('reads host:port, with an empty host meaning every address', () => {
    expect(parseHostPort('--health-addr', '127.0.0.1:8081')).toEqual({
      host: '127.0.0.1',
      port: 8081,
    });
    expect(parseHostPort('--health-addr', ':9090')).toEqual({ host: '0.0.0.0', port: 9090 });
  });

  it('rejects a malformed address with the flag name in the message', () => {
    expect(() => parseHostPort('--health-addr', 'localhost')).toThrow(
      '--health-addr must be host:port, not "localhost"',
    );
    expect(() => parseHostPort('--health-addr', 'h:70000')).toThrow(
      '--health-addr must be host:port',
    );
  });

  it('reads durations in ms, s, m and h', () => {
    expect(parseDuration('--x', '500ms')).toBe(500);
    expect(parseDuration('--x', '10s')).toBe(10_000);
    expect(parseDuration('--x', '1.5m')).toBe(90_000);
    expect(parseDuration('--x', '2h')).toBe(7_200_000);
    expect(() => parseDuration('--heartbeat-interval', '10')).toThrow(
      '--heartbeat-interval must be a duration like 500ms, 10s or 2m, not "10"',
    );
  });
});
