module.exports = {
  ...require('../../jest.preset.js'),
  displayName: "connector-hubspot",
  rootDir: __dirname,
};
