export {
  buildImages,
  defaultRegistry,
  type BuildOptions,
  type BuiltImage,
  type ImageName,
} from './images.ts';
export { importImages } from './import.ts';
export { imageTag } from './tag.ts';
