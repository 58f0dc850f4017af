/** Environment variables global-setup hands to the test workers. */
export const envKeys = {
  kubeconfig: 'KCLOUD_TEST_KUBECONFIG_RESOLVED',
  runDir: 'KCLOUD_TEST_RUN_DIR',
  /** The Ceph cluster's run folder (test/harness/ceph.ts). */
  cephDir: 'KCLOUD_TEST_CEPH_DIR_RESOLVED',
  /** Set only when global setup started that Ceph, so global teardown stops it. */
  cephRunDir: 'KCLOUD_TEST_CEPH_RUN_DIR',
} as const;

export function testKubeconfigPath(): string {
  const file = process.env[envKeys.kubeconfig];
  if (!file) {
    throw new Error(
      'no test cluster: integration tests must run through jest with test/harness/global-setup.ts',
    );
  }
  return file;
}
