module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'emulator-twilio',
  rootDir: __dirname,
};
