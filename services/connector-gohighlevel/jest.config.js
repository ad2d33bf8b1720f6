module.exports = {
  ...require('../../jest.preset.js'),
  displayName: "connector-gohighlevel",
  rootDir: __dirname,
};
