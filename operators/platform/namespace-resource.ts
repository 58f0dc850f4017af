// Namespaces, which the platform reads as projects (the tenant label) and makes for Projects.
export { namespaceResource } from '../../controllers/kube/index.ts';
