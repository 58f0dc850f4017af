// tables.ts is generated from the northbound schema `make setup` installs (OVN 23.03: 7.0).
// OVN 25.03 (KCLOUD_OVN=25.03) serves 7.11; ovn-nb-7.11.ovsschema is its schema as Debian
// trixie ships it; ovn-nb-7.18.ovsschema is OVN 26.03's (KCLOUD_OVN=26.03, Debian sid's), which
// the local stack can run for measurements. The client reads the server's own schema at connect time, so the typed rows
// work against both as long as every table and column they name means the same in 7.11: we
// only write columns both versions have.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { columnKind, readSchemaFile, type BaseType, type DatabaseSchema } from '../schema.ts';
import { schemaVersion } from './tables.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** What a column typed from `older` would get wrong against a server of `newer`. */
function typedColumnsBroken(older: DatabaseSchema, newer: DatabaseSchema): string[] {
  const problems: string[] = [];
  const base = (where: string, a: BaseType, b: BaseType | undefined) => {
    if (!b || a.type !== b.type || a.refTable !== b.refTable) {
      problems.push(`${where}: ${a.type} became ${b?.type ?? 'nothing'}`);
      return;
    }
    const lost = (a.enum ?? []).filter((v) => b.enum && !b.enum.includes(v));
    if (lost.length > 0) problems.push(`${where}: ${lost.join(', ')} no longer allowed`);
  };
  for (const [table, t] of Object.entries(older.tables)) {
    const n = newer.tables[table];
    if (!n) {
      problems.push(`${table} is gone`);
      continue;
    }
    for (const [column, c] of Object.entries(t.columns)) {
      const m = n.columns[column];
      if (!m) {
        problems.push(`${table}.${column} is gone`);
        continue;
      }
      const where = `${table}.${column}`;
      if (columnKind(c.type) !== columnKind(m.type)) {
        problems.push(`${where}: ${columnKind(c.type)} became ${columnKind(m.type)}`);
      }
      base(`${where} key`, c.type.key, m.type.key);
      if (c.type.value) base(`${where} value`, c.type.value, m.type.value);
    }
  }
  return problems;
}

describe('the northbound schemas the typed rows serve', () => {
  it("types every table and column the same in 25.03's schema 7.11", async () => {
    const installed = await readSchemaFile('/usr/share/ovn/ovn-nb.ovsschema');
    const v711 = await readSchemaFile(path.join(here, 'ovn-nb-7.11.ovsschema'));
    expect(installed.version).toBe(schemaVersion);
    expect(v711.version).toBe('7.11.0');
    expect(typedColumnsBroken(installed, v711)).toEqual([]);
  });

  it("types every table and column the same in 26.03's schema 7.18", async () => {
    const installed = await readSchemaFile('/usr/share/ovn/ovn-nb.ovsschema');
    const v718 = await readSchemaFile(path.join(here, 'ovn-nb-7.18.ovsschema'));
    expect(v718.version).toBe('7.18.0');
    expect(typedColumnsBroken(installed, v718)).toEqual([]);
  });

  it('notices a column that is gone or changed its type', async () => {
    const installed = await readSchemaFile('/usr/share/ovn/ovn-nb.ovsschema');
    const changed = structuredClone(installed);
    const acl = changed.tables.ACL;
    if (!acl?.columns.priority || !acl.columns.action) throw new Error('ACL has no priority');
    delete acl.columns.priority;
    acl.columns.action.type.key.enum = ['allow', 'drop'];
    expect(typedColumnsBroken(installed, changed)).toEqual([
      'ACL.priority is gone',
      'ACL.action key: allow-related, allow-stateless, reject no longer allowed',
    ]);
  });
});
