// Jest runs the TypeScript sources as native ES modules (oidc-provider is ESM-only):
// @swc/jest strips types per file, and Node's --experimental-vm-modules (set by the
// npm scripts) lets Jest load ESM. Type checking is `npm run typecheck`'s job.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      module: { type: 'es6' },
    }],
  },
  // Sources import './x.js' (NodeNext style); map those to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  // Most test files wait on PostgreSQL, sockets and child processes rather than on a core:
  // three at a time on two cores finish sooner than Jest's default (cores - 1).
  maxWorkers: 3,
};
