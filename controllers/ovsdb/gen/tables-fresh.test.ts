import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import * as prettier from 'prettier';
import { readSchemaFile } from '../schema.ts';
import { generateTables } from './generate.ts';

const schemaFile = '/usr/share/ovn/ovn-nb.ovsschema';
const tablesFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'nb', 'tables.ts');

describe('nb/tables.ts', () => {
  it('matches the OVN northbound schema installed by make setup', async () => {
    const schema = await readSchemaFile(schemaFile);
    const config = await prettier.resolveConfig(tablesFile);
    const expected = await prettier.format(generateTables(schema, schemaFile), {
      ...config,
      parser: 'typescript',
    });
    // On failure the installed OVN changed its schema: run node controllers/ovsdb/gen/cli.ts.
    expect(await readFile(tablesFile, 'utf8')).toBe(expected);
  });
});
