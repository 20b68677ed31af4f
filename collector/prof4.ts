import {existsSync} from 'node:fs'
import {openStore} from './src/store/open.js'
import {prepareMessage} from './src/store/message.js'
import {fleet} from './test/support/fleet.js'
const path = '/tmp/wt10/p4.db'
const fresh = !existsSync(path)
const store = await openStore(path, {sqlite: {synchronous: 'normal'}})
if (fresh) {
  let n = 0
  for (const b of fleet({days: 90, instances: 5000, intensity: 0.2, seed: 3})) {
    n += (await store.insert(b.map((m) => prepareMessage(m)))).accepted
    if (n > 40000) break
  }
  console.log('filled', n)
}
for (let round = 0; round < 3; round++) for (const by of ['product', 'day'] as const) {
  const t = performance.now()
  await store.report({by, limit: 50})
  console.log(by, (performance.now() - t).toFixed(1), 'ms')
}
await store.close()
