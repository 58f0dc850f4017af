// MANAGER_FLAGS and AGENT_FLAGS: extra command-line flags for the processes `make demo` runs,
// e.g. `make demo MANAGER_FLAGS='--resync-period=30s --log-level=debug'`.
import { randomBytes } from 'node:crypto';
import os from 'node:os';

/**
 * Splits a flags variable as a shell would split words: on blanks, with '…' and "…" quoting
 * and a backslash escaping the next character. No expansion of any kind.
 */
export function splitFlags(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length)
        word = `${word ?? ''}${text.charAt(++i)}`;
      else word = `${word ?? ''}${c}`;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text.charAt(++i);
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (quote) throw new Error(`unterminated ${quote} in ${JSON.stringify(text)}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** The value of `--name=value` or `--name value` among the flags; the last one wins. */
export function flagValue(flags: string[], name: string): string | undefined {
  let value: string | undefined;
  flags.forEach((f, i) => {
    if (f.startsWith(`--${name}=`)) value = f.slice(name.length + 3);
    else if (f === `--${name}` && i + 1 < flags.length) value = flags[i + 1];
  });
  return value;
}

/** Where the manager's leader Lease is, by its flags' defaults; undefined without election. */
export interface LeaderLease {
  namespace: string;
  name: string;
  identity: string;
}

/**
 * The manager's flags: the user's, plus an identity of the demo's own when the user gave none,
 * so the demo can tell when the manager it started holds the Lease.
 */
export function managerFlags(user: string[]): { flags: string[]; lease: LeaderLease | undefined } {
  const identity = flagValue(user, 'identity');
  const flags =
    identity === undefined
      ? [...user, `--identity=${os.hostname()}_demo_${randomBytes(4).toString('hex')}`]
      : user;
  return { flags, lease: leaderLease(flags) };
}

export function leaderLease(flags: string[]): LeaderLease | undefined {
  if (flagValue(flags, 'leader-elect') === 'false') return undefined;
  return {
    namespace: flagValue(flags, 'leader-election-namespace') ?? 'kcloud-system',
    name: flagValue(flags, 'leader-election-id') ?? 'kcloud-manager',
    identity: flagValue(flags, 'identity') ?? '',
  };
}
