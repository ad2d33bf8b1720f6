module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'personal-data',
  rootDir: __dirname,
};
