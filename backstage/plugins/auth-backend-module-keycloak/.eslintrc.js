// `backstage-cli package lint`: Backstage's lint rules for a frontend package. The package's
// behaviour is tested in Chromium (test/backstage/byo.test.ts, the sso tier), not with Jest, so the
// Jest rules get a version instead of looking for an installed jest.
module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  settings: { jest: { version: 29 } },
});
