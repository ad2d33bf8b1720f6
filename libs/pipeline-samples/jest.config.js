// The fault tests spend most of their time waiting (a killed consumer's
// group session to expire, an outage to pass), not computing: two workers
// let one test's wait overlap another's work. Each test has its own
// schemas, topic and group, so they do not interfere.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'pipeline-samples',
  rootDir: __dirname,
  maxWorkers: 2,
};
