module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  // The services run as real processes; give their start-up room on 2 cores.
  testTimeout: 120_000,
  // The infra scripts are ES modules (.mjs): their tests are too, loaded natively.
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.spec.mjs'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};
