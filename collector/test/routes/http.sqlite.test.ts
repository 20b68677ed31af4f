import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after} from 'node:test'

import {openStore} from '../../src/store/open.js'
import {hardeningSuite} from './hardening-suite.js'
import {httpSuite} from './http-suite.js'

const dir = mkdtempSync(join(tmpdir(), 'collector-http-'))
after(() => rmSync(dir, {force: true, recursive: true}))
let n = 0

httpSuite('SQLite', () => openStore(join(dir, `t${++n}.db`)))
hardeningSuite('SQLite', () => openStore(join(dir, `t${++n}.db`)))
