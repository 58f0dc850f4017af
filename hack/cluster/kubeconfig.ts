import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { readBase64, type Pki } from './pki.ts';

/**
 * Writes a self-contained kubeconfig (certificates embedded) that trusts the cluster's CA:
 * it can be copied anywhere on the machine and never needs insecure-skip-tls-verify.
 */
export async function writeKubeconfig(
  file: string,
  server: string,
  pki: Pki,
  user: { name: string; cert: string; key: string },
): Promise<void> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kcloud-local',
        cluster: { server, 'certificate-authority-data': await readBase64(pki.caCert) },
      },
    ],
    users: [
      {
        name: user.name,
        user: {
          'client-certificate-data': await readBase64(user.cert),
          'client-key-data': await readBase64(user.key),
        },
      },
    ],
    contexts: [{ name: 'kcloud-local', context: { cluster: 'kcloud-local', user: user.name } }],
    'current-context': 'kcloud-local',
  };
  await writeFile(file, stringify(config), { mode: 0o600 });
}
