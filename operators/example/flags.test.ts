import { describe, expect, it } from '@jest/globals';
import { configureExample, exampleFlags } from './flags.ts';

describe('the example operator’s settings', () => {
  it('takes --notes-dir, by default .local/notes', () => {
    expect(configureExample({ 'notes-dir': '/tmp/notes' })).toEqual({ notesDir: '/tmp/notes' });
    expect(exampleFlags['notes-dir'].default).toMatch(/\/\.local\/notes$/);
  });

  it('refuses an empty --notes-dir', () => {
    expect(() => configureExample({ 'notes-dir': '' })).toThrow(
      '--notes-dir must name a directory',
    );
  });
});
