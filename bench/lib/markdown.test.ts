import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { markdownTable, replaceSection, writeSection } from './markdown.ts';

describe('markdownTable', () => {
  it('pads every column to its widest cell, as Prettier does', () => {
    expect(
      markdownTable(
        ['what', 'result'],
        [
          ['baseline', '812 objects/s'],
          ['a', 'b'],
        ],
      ),
    ).toBe(
      [
        '| what     | result        |',
        '| -------- | ------------- |',
        '| baseline | 812 objects/s |',
        '| a        | b             |',
      ].join('\n'),
    );
  });

  it('escapes pipes and keeps columns at least three wide', () => {
    expect(markdownTable(['a'], [['x|y']])).toBe('| a    |\n| ---- |\n| x\\|y |');
    expect(markdownTable(['a'], [])).toBe('| a   |\n| --- |');
  });
});

const doc = `# Benchmarks

Intro.

## One

old one

### a subsection

## Two

two
`;

describe('replaceSection', () => {
  it('replaces a section in place, subsections included, and keeps the others', () => {
    expect(replaceSection(doc, 'One', 'new one')).toBe(`# Benchmarks

Intro.

## One

new one

## Two

two
`);
  });

  it('replaces the last section up to the end', () => {
    expect(replaceSection(doc, 'Two', '2\n\n')).toBe(doc.replace('two\n', '2\n'));
  });

  it('appends a section that is not there yet', () => {
    expect(replaceSection(doc, 'Three', 'three')).toBe(`${doc}\n## Three\n\nthree\n`);
    expect(replaceSection('', 'Only', 'x')).toBe('## Only\n\nx\n');
  });

  it('ignores headings inside code fences and headings that only start alike', () => {
    const fenced = '# T\n\n## A\n\n```md\n## B\n```\n\n## AB\n\nab\n';
    expect(replaceSection(fenced, 'A', 'a')).toBe('# T\n\n## A\n\na\n\n## AB\n\nab\n');
    expect(replaceSection(fenced, 'B', 'b')).toBe(`${fenced}\n## B\n\nb\n`);
  });

  it('is stable: writing the same section twice changes nothing', () => {
    const once = replaceSection(doc, 'One', 'body');
    expect(replaceSection(once, 'One', 'body')).toBe(once);
  });
});

describe('writeSection', () => {
  it('creates the file with the preamble, then replaces its section on the next write', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-md-'));
    try {
      const file = path.join(dir, 'docs', 'benchmarks.md');
      await writeSection(file, 'Runtime', 'first', '# Benchmarks\n\nIntro.');
      await writeSection(file, 'Runtime', 'second', '# ignored');
      expect(await readFile(file, 'utf8')).toBe('# Benchmarks\n\nIntro.\n\n## Runtime\n\nsecond\n');
      await writeFile(file, '# Benchmarks\n\n## Other\n\nkept\n');
      await writeSection(file, 'Runtime', 'third', '# ignored');
      expect(await readFile(file, 'utf8')).toBe(
        '# Benchmarks\n\n## Other\n\nkept\n\n## Runtime\n\nthird\n',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
