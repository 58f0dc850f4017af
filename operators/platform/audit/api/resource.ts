// The audit view as a Kubernetes API (audit.kcloud.io/v1alpha1, kind AuditRecord, read-only):
// the objects, lists and tables the API server gets from kcloud and hands to kubectl, so that
// `kubectl get auditrecords -n <project>` is the audit view of a project, allowed by RBAC like
// any other read.
import type { AuditRecord } from '../records.ts';

export const auditGroup = 'audit.kcloud.io';
export const auditVersion = 'v1alpha1';
export const auditGroupVersion = `${auditGroup}/${auditVersion}`;
export const auditPlural = 'auditrecords';
export const auditKind = 'AuditRecord';
/** The APIService that routes the group to kcloud. */
export const auditApiServiceName = `${auditVersion}.${auditGroup}`;

/** The reads RBAC can grant on the view; nothing else is served. */
export const auditVerbs = ['get', 'list'];

/** The resource in the API server's discovery. */
export function apiResourceList(): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: auditGroupVersion,
    resources: [
      {
        name: auditPlural,
        singularName: 'auditrecord',
        namespaced: true,
        kind: auditKind,
        verbs: auditVerbs,
        categories: ['kcloud'],
      },
    ],
  };
}

export function apiGroup(): object {
  const version = { groupVersion: auditGroupVersion, version: auditVersion };
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: auditGroup,
    versions: [version],
    preferredVersion: version,
  };
}

export function apiGroupList(): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup()] };
}

export interface AuditRecordObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; creationTimestamp: string };
  /** Who did it: the impersonated user when there is one. */
  user: string;
  via?: string;
  verb: string;
  /** The resource acted on: `volumes.evs.kcloud.io`, `secrets`, `…/status`. */
  resource: string;
  /** The object acted on, when the request named one. */
  objectName?: string;
  code: number;
  result: string;
}

/** A record as an object: named by its audit ID, in the namespace it is about. */
export function toObject(r: AuditRecord): AuditRecordObject {
  return {
    apiVersion: auditGroupVersion,
    kind: auditKind,
    metadata: {
      name: r.auditID,
      ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
      creationTimestamp: r.time.replace(/\.\d+Z$/, 'Z'),
    },
    user: r.user,
    ...(r.via !== undefined ? { via: r.via } : {}),
    verb: r.verb,
    resource: r.resource,
    ...(r.name !== undefined ? { objectName: r.name } : {}),
    code: r.code,
    result: r.result,
  };
}

export function toList(records: readonly AuditRecord[]): object {
  return {
    apiVersion: auditGroupVersion,
    kind: `${auditKind}List`,
    metadata: {},
    items: records.map(toObject),
  };
}

const column = (name: string, description: string, priority = 0) => ({
  name,
  type: 'string',
  format: '',
  description,
  priority,
});

/**
 * What kubectl prints: the CLI's columns (view.ts), the namespace left to kubectl (it adds it
 * from each row's object with --all-namespaces), the audit ID with -o wide.
 */
export function toTable(records: readonly AuditRecord[]): object {
  return {
    apiVersion: 'meta.k8s.io/v1',
    kind: 'Table',
    metadata: {},
    columnDefinitions: [
      column('Time', 'When the API server received the request'),
      column('User', 'Who made it (the impersonated user, and who impersonated)'),
      column('Verb', 'The API verb'),
      column('Resource', 'The resource acted on'),
      column('Name', 'The object acted on'),
      column('Result', 'The response code, and why not when refused'),
      column('Audit-ID', 'The API server’s audit ID', 1),
    ],
    rows: records.map((r) => {
      const o = toObject(r);
      return {
        cells: [
          o.metadata.creationTimestamp,
          r.via === undefined ? r.user : `${r.user} (via ${r.via})`,
          r.verb,
          r.resource,
          r.name ?? '',
          r.result === 'Allowed' ? `${r.code}` : `${r.code} ${r.result}`,
          r.auditID,
        ],
        object: {
          apiVersion: 'meta.k8s.io/v1',
          kind: 'PartialObjectMetadata',
          metadata: o.metadata,
        },
      };
    }),
  };
}

/** Whether an Accept header asks for a Table (kubectl get does). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

/** A Kubernetes Status for an error answer. */
export function status(code: number, reason: string, message: string): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
}
