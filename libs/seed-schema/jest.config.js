module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'seed-schema',
  rootDir: __dirname,
};
