import { describe, expect, it } from '@jest/globals';
import type { AuditRecord } from '../records.ts';
import { toObject, toTable, wantsTable } from './resource.ts';

const record: AuditRecord = {
  time: '2026-12-06T10:00:00.123456Z',
  user: 'alice',
  via: 'kcloud-admin',
  verb: 'create',
  resource: 'secrets',
  namespace: 'fin',
  name: 'db',
  code: 403,
  result: 'Forbidden',
  auditID: '0b5c',
};

describe('audit records as Kubernetes objects', () => {
  it('are named by their audit ID in the namespace they are about', () => {
    expect(toObject(record)).toEqual({
      apiVersion: 'audit.kcloud.io/v1alpha1',
      kind: 'AuditRecord',
      metadata: { name: '0b5c', namespace: 'fin', creationTimestamp: '2026-12-06T10:00:00Z' },
      user: 'alice',
      via: 'kcloud-admin',
      verb: 'create',
      resource: 'secrets',
      objectName: 'db',
      code: 403,
      result: 'Forbidden',
    });
    const clusterScoped = toObject({ ...record, namespace: undefined, name: undefined });
    expect(clusterScoped.metadata).not.toHaveProperty('namespace');
    expect(clusterScoped).not.toHaveProperty('objectName');
  });

  it('print as the CLI prints them, the namespace left to kubectl', () => {
    const t = toTable([record]) as {
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: string[]; object: { metadata: { namespace?: string } } }[];
    };
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Time',
      'User',
      'Verb',
      'Resource',
      'Name',
      'Result',
    ]);
    expect(t.rows[0]?.cells).toEqual([
      '2026-12-06T10:00:00Z',
      'alice (via kcloud-admin)',
      'create',
      'secrets',
      'db',
      '403 Forbidden',
      '0b5c',
    ]);
    expect(t.rows[0]?.object.metadata.namespace).toBe('fin');
  });

  it('come as a table only when asked for one', () => {
    expect(
      wantsTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
  });
});
