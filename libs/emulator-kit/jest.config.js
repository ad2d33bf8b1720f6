module.exports = { ...require('../../jest.preset.js'), displayName: 'emulator-kit', rootDir: __dirname };
