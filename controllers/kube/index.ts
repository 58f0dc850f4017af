export { ApiClient, type ApiTransport, type RequestOptions, type Verb } from './api-client.ts';
export {
  ApiError,
  errorMessage,
  isAlreadyExists,
  isApiError,
  isConflict,
  isGone,
  isNotFound,
} from './api-error.ts';
export { loadKubeConfig } from './config.ts';
export {
  ObjectClient,
  type DeleteOptions,
  type ListOptions,
  type PatchOptions,
  type PatchType,
  type WatchOptions,
} from './object-client.ts';
export {
  objectKey,
  splitKey,
  type KubeObject,
  type ListMeta,
  type ObjectList,
  type ObjectMeta,
  type OwnerReference,
  type Status,
  type WatchEvent,
  type WatchEventType,
} from './object.ts';
export { apiVersionOf, resourcePath, type ResourceRef } from './resource.ts';
export { configMapResource, namespaceResource, secretResource } from './core-resources.ts';
export { microTime, parseTime } from './time.ts';
