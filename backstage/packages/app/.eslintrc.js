// `backstage-cli package lint`: Backstage's lint rules for a frontend package. The app has no Jest
// tests (its behaviour is tested in Chromium by the sso tier), so the Jest rules get a version
// instead of looking for an installed jest.
module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  settings: { jest: { version: 29 } },
});
