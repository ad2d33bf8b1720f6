module.exports = { ...require('../../jest.preset.js'), displayName: 'emulator-hubspot', rootDir: __dirname };
