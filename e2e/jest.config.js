module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  // The services run as real processes; give their start-up room on 2 cores.
  testTimeout: 120_000,
};
