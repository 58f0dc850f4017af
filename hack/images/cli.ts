#!/usr/bin/env node
// node hack/images/cli.ts build [--registry kcloud.local] [--tag TAG] [--out DIR] [--import]
// Builds kcloud's images as docker-archives (`make images`); --import also imports them into the
// node of `make cluster-node` when that node is up.
// node hack/images/cli.ts lists
// Fetches the package lists of the OVN image's Debian suite when they are missing (a build
// fetches them too); on a fresh machine, ahead of the first build.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../cluster/index.ts';
import { repoRoot } from '../cluster/layout.ts';
import { devNodeLayout, readNodeState } from '../node/index.ts';
import { containerdServing } from '../node/runtime.ts';
import { buildImages, defaultRegistry, importImages } from './index.ts';
import { prepareSuite } from './apt.ts';
import { mib, ovnSuite } from './images.ts';

const usage =
  'usage: cli.ts build [--registry kcloud.local] [--tag TAG] [--out DIR] [--import] | cli.ts lists';

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
  const log = (line: string) => {
    console.log(line);
  };
  if (positionals.length === 1 && positionals[0] === 'lists') {
    await prepareSuite(ovnSuite, log);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'build') {
    console.error(usage);
    return 2;
  }
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
