// Namespaces, which the platform reads as projects (the tenant label) and makes for Projects.
import type { ResourceRef } from '../../controllers/kube/index.ts';

export const namespaceResource: ResourceRef & { kind: string } = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  namespaced: false,
  kind: 'Namespace',
};
