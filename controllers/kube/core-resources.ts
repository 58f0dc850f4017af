// Kubernetes' own kinds that kcloud's products read and write: one reference each.
import type { ResourceRef } from './resource.ts';

type CoreRef = ResourceRef & { kind: string };

export const secretResource: CoreRef = {
  group: '',
  version: 'v1',
  plural: 'secrets',
  namespaced: true,
  kind: 'Secret',
};

export const configMapResource: CoreRef = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  namespaced: true,
  kind: 'ConfigMap',
};

export const namespaceResource: CoreRef = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  namespaced: false,
  kind: 'Namespace',
};
