module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'emulator-smtp',
  rootDir: __dirname,
};
