module.exports = { ...require('../../jest.preset.js'), displayName: 'emulator-gohighlevel', rootDir: __dirname };
