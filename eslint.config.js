import {includeIgnoreFile} from '@eslint/compat'
import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const gitignorePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '.gitignore')

export default [
  includeIgnoreFile(gitignorePath),
  ...oclif,
  prettier,
  {
    rules: {
      // Messages keep the RFC's snake_case field names on the wire.
      camelcase: ['error', {properties: 'never'}],
    },
  },
  {
    files: ['test/**/*.ts', 'collector/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests run on node:test, not mocha; they run CLIs one after another on purpose.
      'mocha/max-top-level-suites': 'off',
      'mocha/no-top-level-hooks': 'off',
      'n/no-unsupported-features/node-builtins': 'off',
      'no-await-in-loop': 'off',
    },
  },
  {
    // The collector's dashboard page runs in the browser (tsc checks its names with the DOM lib), and so
    // do the callbacks its browser tests hand to page.evaluate.
    files: ['collector/web/**/*.ts', 'collector/test/dashboard/**/*.ts'],
    rules: {'n/no-unsupported-features/node-builtins': 'off', 'no-undef': 'off', 'unicorn/prefer-global-this': 'off'},
  },
]
