import { describe, expect, it } from '@jest/globals';
import { atPrompt } from './console.ts';

describe('a piped console line waits for a prompt', () => {
  it('takes a login, a password and a shell prompt, escapes aside', () => {
    expect(atPrompt('\r\nvm-1 login: ')).toBe(true);
    expect(atPrompt('root\r\nPassword: ')).toBe(true);
    expect(atPrompt(`\r\nroot@vm-1:~# ${String.fromCharCode(27)}[6n`)).toBe(true);
  });

  it('does not take output that goes on', () => {
    expect(atPrompt('')).toBe(false);
    expect(atPrompt('root\r\n')).toBe(false);
    expect(atPrompt('hello from kcloud\r\n')).toBe(false);
  });
});
