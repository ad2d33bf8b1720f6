// Jest for the bus library. NestJS 12 ships as ES modules only; Jest loads
// them from CommonJS tests only with --experimental-vm-modules, so instead
// @nestjs's files are compiled to CommonJS by SWC like our own sources.
const preset = require('../../jest.preset.js');

const esmToCommonJs = {
  jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022', keepClassNames: true },
  module: { type: 'commonjs' },
};

module.exports = {
  ...preset,
  displayName: 'bus',
  rootDir: __dirname,
  transform: { ...preset.transform, '^.+\\.js$': ['@swc/jest', esmToCommonJs] },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
};
