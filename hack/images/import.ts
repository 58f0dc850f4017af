import { importImage } from '../node/runtime.ts';
import type { BuiltImage } from './images.ts';

/** Imports the archives into a node's containerd (CRI namespace); pods then run them by ref. */
export async function importImages(
  socket: string,
  images: Pick<BuiltImage, 'archive'>[],
): Promise<void> {
  for (const image of images) await importImage(socket, image.archive);
}
