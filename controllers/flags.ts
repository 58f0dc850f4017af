/** Parses "host:port" flags such as --health-addr=127.0.0.1:8081. */
export function parseHostPort(flag: string, value: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag} must be host:port, not "${value}"`);
  }
  return { host: m[1] === '' ? '0.0.0.0' : (m[1] ?? '0.0.0.0'), port };
}

/** Parses a duration flag such as 10s, 500ms or 2m into milliseconds. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (!m) throw new Error(`${flag} must be a duration like 500ms, 10s or 2m, not "${value}"`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}
