import {request as httpRequest} from 'node:http'
import {connect} from 'node:net'
import {Writable} from 'node:stream'

export interface HttpResponse {
  headers: Record<string, string | string[] | undefined>
  json: any
  status: number
  text: string
}

/** A raw HTTP request that still reads the answer when the server stops reading the body early. */
export function send(
  url: string,
  options: {
    body?: Buffer | string
    headers?: Record<string, string>
    /** Source address, e.g. 127.0.0.2 (all of 127/8 is loopback): another client for per-address limits. */
    localAddress?: string
    method?: string
  } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let answered = false
    const body =
      options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body)
    const req = httpRequest(
      url,
      {
        headers: {
          ...(body ? {'content-type': 'application/json'} : {}),
          ...(body && !options.headers?.['transfer-encoding'] ? {'content-length': String(body.length)} : {}),
          ...options.headers,
        },
        localAddress: options.localAddress,
        method: options.method ?? (body ? 'POST' : 'GET'),
      },
      (res) => {
        answered = true
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }

          resolve({headers: res.headers, json, status: res.statusCode ?? 0, text})
        })
        res.on('error', reject)
      },
    )
    // The server may answer (413) and close before the whole body is written.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    // A connection closed with no answer at all fails the test instead of leaving it waiting forever.
    req.on('close', () => {
      if (!answered) reject(new Error(`${url}: the connection closed without an answer`))
    })
    if (body) req.write(body)
    req.end()
  })
}

export function postJson(url: string, value: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
  return send(url, {body: JSON.stringify(value), headers, method: 'POST'})
}

/** Write raw bytes on a TCP connection and collect what comes back until the server closes it or `waitMs` passes. */
export function rawRequest(port: number, data: string, waitMs = 2000): Promise<{closedAfterMs: number; text: string}> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let text = ''
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve({closedAfterMs: Date.now() - started, text})
    }

    const timer = setTimeout(done, waitMs)
    socket.on('data', (chunk) => {
      text += chunk
    })
    socket.on('close', done)
    socket.on('error', () => {})
    socket.write(data)
  })
}

/** A writable stream that keeps everything written to it (for log assertions). */
export class Capture extends Writable {
  readonly chunks: string[] = []

  get text(): string {
    return this.chunks.join('')
  }

  override _write(chunk: Buffer, _encoding: unknown, callback: () => void): void {
    this.chunks.push(chunk.toString('utf8'))
    callback()
  }
}
