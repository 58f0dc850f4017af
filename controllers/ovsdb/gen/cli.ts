#!/usr/bin/env node
// node controllers/ovsdb/gen/cli.ts [--schema <file.ovsschema>] [--out <file.ts>] [--check]
// Writes typed rows for an OVSDB schema; by default OVN's northbound schema to nb/tables.ts.
// --check writes nothing and exits 1 when the file differs from what would be generated.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { readSchemaFile } from '../schema.ts';
import { generateTables } from './generate.ts';
import { runCommand } from '../../cli/index.ts';

const here = path.dirname(new URL(import.meta.url).pathname);

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      schema: { type: 'string', default: '/usr/share/ovn/ovn-nb.ovsschema' },
      out: { type: 'string', default: path.join(here, '..', 'nb', 'tables.ts') },
      check: { type: 'boolean', default: false },
    },
  });
  const schema = await readSchemaFile(values.schema);
  const config = await prettier.resolveConfig(values.out);
  const text = await prettier.format(generateTables(schema, values.schema), {
    ...config,
    parser: 'typescript',
  });
  if (values.check) {
    const current = await readFile(values.out, 'utf8').catch(() => '');
    if (current === text) return 0;
    console.error(`out of date: ${values.out}; run node controllers/ovsdb/gen/cli.ts`);
    return 1;
  }
  await writeFile(values.out, text);
  console.log(
    `wrote ${values.out}: ${String(Object.keys(schema.tables).length)} tables of ${schema.name} ${schema.version}`,
  );
  return 0;
}

runCommand(main);
