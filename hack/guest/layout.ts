// Where guests for development and tests are built: .local/guest, or $KCLOUD_GUEST_DIR.
import path from 'node:path';
import { repoRoot } from '../cluster/index.ts';

export function guestDir(): string {
  return process.env.KCLOUD_GUEST_DIR ?? path.join(repoRoot, '.local', 'guest');
}
