// Two collectors for the benchmark, in a process of their own (the benchmark blocks on its runs):
// one that answers 200 at once, one that accepts connections and never answers. Prints their ports.
import {createServer} from 'node:http'

const reachable = createServer((req, res) => {
  req.resume()
  req.on('end', () =>
    res
      .writeHead(200, {'content-type': 'application/json'})
      .end('{"accepted":0,"duplicates":0,"suppressed":0,"rejected":[]}'),
  )
})
const hanging = createServer((req) => req.resume())
await Promise.all(
  [reachable, hanging].map(
    (s) =>
      new Promise((resolve) => {
        s.listen(0, '127.0.0.1', resolve)
      }),
  ),
)
console.log(JSON.stringify({hanging: hanging.address().port, reachable: reachable.address().port}))
// Gone with the benchmark: it kills us when done, and its exit closes our stdin.
process.stdin.resume()
process.stdin.on('end', () => {
  reachable.close()
  hanging.close()
  process.stdin.pause()
})
