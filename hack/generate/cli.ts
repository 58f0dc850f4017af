#!/usr/bin/env node
// npm run generate — writes the CRD manifests of every kind in operators/kinds.ts.
// npm run generate -- --check — writes nothing; exits 1 listing the files that are out of date.
import { repoRoot, runCli } from '../cluster/index.ts';
import { kcloudRegistry } from './registry.ts';
import { findStale, plannedFiles, writeGenerated } from './generate.ts';

const usage = 'usage: node hack/generate/cli.ts [--check]';

async function main(argv: string[]): Promise<number> {
  if (argv.some((a) => a !== '--check')) {
    console.error(usage);
    return 2;
  }
  const files = plannedFiles(kcloudRegistry(), repoRoot);
  if (argv.includes('--check')) {
    const { outdated, orphaned } = await findStale(repoRoot, files);
    for (const p of outdated) console.error(`out of date: ${p}`);
    for (const p of orphaned) console.error(`no longer generated: ${p}`);
    if (outdated.length + orphaned.length === 0) return 0;
    console.error('run npm run generate');
    return 1;
  }
  const { outdated, orphaned } = await writeGenerated(repoRoot, files);
  for (const p of outdated) console.log(`wrote ${p}`);
  for (const p of orphaned) console.log(`removed ${p}`);
  console.log(`${files.length} files, ${outdated.length + orphaned.length} changed`);
  return 0;
}

runCli(main);
