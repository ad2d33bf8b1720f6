module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'emulator-zoom',
  rootDir: __dirname,
};
