#!/usr/bin/env node
// node hack/images/cli.ts build [--registry kcloud.local] [--tag TAG] [--out DIR] [--import]
// Builds kcloud's images as docker-archives (`make images`); --import also imports them into the
// node of `make cluster-node` when that node is up.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../cluster/index.ts';
import { repoRoot } from '../cluster/layout.ts';
import { devNodeLayout, readNodeState } from '../node/index.ts';
import { containerdServing } from '../node/runtime.ts';
import { buildImages, defaultRegistry, importImages } from './index.ts';
import { mib } from './images.ts';

const usage = 'usage: cli.ts build [--registry kcloud.local] [--tag TAG] [--out DIR] [--import]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      registry: { type: 'string', default: defaultRegistry },
      tag: { type: 'string' },
      out: { type: 'string', default: path.join(repoRoot, '.local', 'images') },
      import: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1 || positionals[0] !== 'build') {
    console.error(usage);
    return 2;
  }
  const log = (line: string) => {
    console.log(line);
  };
  const started = Date.now();
  const images = await buildImages({
    outDir: values.out,
    registry: values.registry,
    ...(values.tag ? { tag: values.tag } : {}),
    log,
  });
  for (const i of images) {
    log(`${i.ref}  ${i.archive}  ${mib(i.bytes)}${i.built ? '' : '  (unchanged)'}`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!values.import) return 0;
  const node = devNodeLayout();
  if (!(await readNodeState(node)) || !(await containerdServing(node.containerdSocket))) {
    log('the node of `make cluster-node` is not up: nothing imported');
    return 0;
  }
  const t = Date.now();
  await importImages(node.containerdSocket, images);
  log(
    `imported into ${node.containerdSocket} in ${((Date.now() - t) / 1000).toFixed(1)} s: ` +
      images.map((i) => i.ref).join(', '),
  );
  return 0;
}

runCli(main);
