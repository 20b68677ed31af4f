import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after} from 'node:test'

import {openStore} from '../../src/store/open.js'
import {rollupSuite} from './rollup-suite.js'
import {storeSuite} from './store-suite.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-sqlite-'))
after(() => rmSync(dir, {force: true, recursive: true}))
const file = join(dir, 'nested', 'telemetry.db')

storeSuite('SQLite', () => openStore(file), {reopen: () => openStore(file)})

let fresh = 0
rollupSuite('SQLite', () => openStore(join(dir, `fresh-${++fresh}.db`)))
