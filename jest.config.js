// Two projects share one run so `make test` ends with one summary line:
//   unit        — *.test.ts beside the code, no external processes;
//   integration — test/integration, against a real kube-apiserver + etcd + controller-manager
//                 started once per run by test/harness/global-setup.ts; test/cluster adds a
//                 real node (containerd, kubelet, kube-proxy, CoreDNS) to that control plane.
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.jest.json', diagnostics: { ignoreCodes: ['TS151001'] } },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
export default {
  reporters: ['<rootDir>/test/harness/summary-reporter.ts'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: [
        '<rootDir>/operators',
        '<rootDir>/controllers',
        '<rootDir>/agent',
        '<rootDir>/hack',
        '<rootDir>/test/harness',
        '<rootDir>/bench',
      ],
      testMatch: ['**/*.test.ts'],
      // *.int.test.ts beside hack/ code build or run real things: the integration project's.
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'],
      setupFilesAfterEnv: ['<rootDir>/test/harness/unit-timeout.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration', '<rootDir>/test/cluster', '<rootDir>/hack'],
      testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/hack/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/harness/integration-timeout.ts'],
    },
  ],
};
