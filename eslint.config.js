import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'

export default [
  {ignores: ['dist/', 'collector/dist/', 'node_modules/', 'test/fixtures/**/node_modules/']},
  ...oclif,
  prettier,
]
