// Files a host agent keeps in its state directory (a cached probe answer, a VM's definition):
// written under a temporary name and renamed, so a crash never leaves half a file.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.partial-${String(process.pid)}`;
  await writeFile(partial, text, { mode });
  await rename(partial, file);
}
