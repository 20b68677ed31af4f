/** The collector sees each client's IP address (it has to, to answer): it must log it nowhere. */
import assert from 'node:assert/strict'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {request} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type RunningServer} from '../src/server.js'
import {openStore} from '../src/store/open.js'
import {Capture} from './support/http.js'
import {commandMessage} from './support/messages.js'
import {serve} from './support/server.js'

// Any 127.x.y.z address reaches a server on 127.0.0.1 (Linux); this one appears nowhere else.
const CLIENT = '127.0.0.77'

function fromClient(url: string, method: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {headers: body ? {'content-type': 'application/json'} : {}, localAddress: CLIENT, method},
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('the client address', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collector-address-'))
  const logs = new Capture()
  let server: RunningServer
  let close: () => Promise<void>

  before(async () => {
    const store = await openStore(join(dir, 'store.db'))
    server = await serve({logger: {level: 'debug', stream: logs}, port: 0, store})
    close = async () => {
      await server.close()
      await store.close()
    }
  })

  after(async () => {
    await close?.()
    rmSync(dir, {force: true, recursive: true})
  })

  it('is in no log line, whatever the request', async () => {
    const instanceId = randomUUID()
    const statuses = [
      await fromClient(`${server.url}/events`, 'POST', JSON.stringify(commandMessage({instance_id: instanceId}))),
      await fromClient(`${server.url}/events`, 'POST', '{not json'),
      await fromClient(`${server.url}/instances/${instanceId}`, 'DELETE'),
      await fromClient(`${server.url}/no/such/route`, 'GET'),
      await fromClient(`${server.url}/report?by=command`, 'GET'),
      await fromClient(`${server.url}/healthz`, 'GET'),
    ]
    assert.deepEqual(statuses.slice(0, 4), [200, 400, 202, 404])
    const lines = logs.text.split('\n').filter(Boolean)
    assert.ok(lines.length >= statuses.length, 'requests are logged')
    for (const line of lines) assert.ok(!line.includes(CLIENT), line)
  })
})
