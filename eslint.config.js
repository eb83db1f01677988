// ESLint for the browser modules in internal/web/static: ESLint's recommended rules, the
// browser's globals, ES modules. scripts/lint.sh installs the packages into .tools/eslint.
const { createRequire } = require("node:module");
const path = require("node:path");

const tools = process.env.SISTERCITY_ESLINT_TOOLS || path.join(__dirname, ".tools/eslint");
const load = createRequire(path.join(tools, "package.json"));
const js = load("@eslint/js");
const globals = load("globals");

module.exports = [
  // The bundles of hls.js and tus-js-client, installed by scripts/hlsjs.sh and scripts/tusjs.sh,
  // are not ours to lint.
  { ignores: ["internal/web/static/vendor/**"] },
  js.configs.recommended,
  {
    files: ["internal/web/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      globals: globals.browser,
    },
    rules: {
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
];
