import {request as httpRequest} from 'node:http'
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
  options: {body?: Buffer | string; headers?: Record<string, string>; method?: string} = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
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
        method: options.method ?? (body ? 'POST' : 'GET'),
      },
      (res) => {
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
    if (body) req.write(body)
    req.end()
  })
}

export function postJson(url: string, value: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
  return send(url, {body: JSON.stringify(value), headers, method: 'POST'})
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
