import {randomUUID} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {type AddressInfo} from 'node:net'
import {gunzipSync} from 'node:zlib'

/** How the stub answers POST /events: store and 200, a status (optionally only for the next n requests), or never. */
export type Mode = {kind: 'hang'} | {kind: 'ok'} | {kind: 'status'; retryAfter?: string; status: number; times?: number}

export interface Received {
  count?: number
  instanceId?: string
  method: string
  path: string
}

/**
 * A real HTTP server on 127.0.0.1 standing in for the collector where a test needs it to fail on
 * purpose (down, 5xx, 429, hanging, 400). It stores message ids as the collector does: each once.
 */
export class StubCollector {
  /** Status answered to DELETE /instances/:id. */
  deleteStatus = 202
  /** deletion_id -> the record GET /deletions/:id answers */
  readonly deletions = new Map<string, Record<string, unknown>>()
  /** message_id -> times received */
  readonly ids = new Map<string, number>()
  mode: Mode = {kind: 'ok'}
  port = 0
  readonly received: Received[] = []
  readonly stored: Array<Record<string, any>> = []
  private readonly hanging: ServerResponse[] = []
  private server: Server | undefined

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async close(): Promise<void> {
    for (const res of this.hanging.splice(0)) res.destroy()
    const {server} = this
    this.server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise((resolve) => {
      server.close(resolve)
    })
  }

  /** Listens on a free port, or again on the same port after close() (the collector coming back). */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
    return this
  }

  /** Resolves once `predicate` holds, polling; fails after `ms`. */
  async waitFor(predicate: () => boolean, ms = 15_000): Promise<void> {
    const until = Date.now() + ms
    while (!predicate()) {
      if (Date.now() > until) throw new Error(`timed out; received: ${JSON.stringify(this.received)}`)
      await new Promise((resolve) => {
        setTimeout(resolve, 50)
      })
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    let body = Buffer.concat(chunks)
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
    const path = req.url ?? ''
    if (req.method === 'DELETE') {
      const instanceId = decodeURIComponent(path.split('/').pop()!)
      this.received.push({instanceId, method: 'DELETE', path})
      // As the collector does: deletes at once, answers 202 with the id of its record of the deletion.
      const deletionId = randomUUID()
      const kept = this.stored.filter((m) => m.instance_id !== instanceId)
      this.deletions.set(deletionId, {
        completed_at: new Date().toISOString(),
        deletion_id: deletionId,
        events_deleted: this.stored.length - kept.length,
        requested_at: new Date().toISOString(),
      })
      this.stored.splice(0, this.stored.length, ...kept)
      res
        .writeHead(this.deleteStatus, {'content-type': 'application/json'})
        .end(JSON.stringify({deletion_id: deletionId}))
      return
    }

    if (req.method === 'GET' && path.startsWith('/deletions/')) {
      this.received.push({method: 'GET', path})
      const record = this.deletions.get(decodeURIComponent(path.split('/').pop()!))
      res.writeHead(record ? 200 : 404, {'content-type': 'application/json'}).end(JSON.stringify(record ?? {}))
      return
    }

    const parsed = JSON.parse(body.toString('utf8'))
    const messages = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, any>>
    this.received.push({count: messages.length, method: req.method ?? '', path})
    const {mode} = this
    if (mode.kind === 'hang') {
      this.hanging.push(res)
      return
    }

    if (mode.kind === 'status') {
      if (mode.times !== undefined && --mode.times <= 0) this.mode = {kind: 'ok'}
      res.writeHead(mode.status, mode.retryAfter ? {'retry-after': mode.retryAfter} : {}).end('{"error":"stub"}')
      return
    }

    let duplicates = 0
    // As the collector does: a message dated more than 24 hours ahead is refused inside the 200.
    const rejected: Array<{index: number; reason: string}> = []
    for (const [index, message] of messages.entries()) {
      if (Date.parse(message.timestamp) - Date.now() > 24 * 3_600_000) {
        rejected.push({index, reason: 'timestamp: more than 24 hours in the future'})
        continue
      }

      const seen = this.ids.get(message.message_id) ?? 0
      if (seen > 0) duplicates++
      else this.stored.push(message)
      this.ids.set(message.message_id, seen + 1)
    }

    res.writeHead(200, {'content-type': 'application/json'})
    res.end(
      JSON.stringify({accepted: messages.length - duplicates - rejected.length, duplicates, rejected, suppressed: 0}),
    )
  }
}
