/** Environment variables global-setup hands to the test workers. */
export const envKeys = {
  kubeconfig: 'KCLOUD_TEST_KUBECONFIG_RESOLVED',
  runDir: 'KCLOUD_TEST_RUN_DIR',
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
