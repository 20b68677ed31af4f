// What a host CLI's author configures under `oclif.telemetry` in its package.json.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {endpointProblem, familyOf, type HostCli, NULL_LICENSE, readSettings} from '../../src/settings.js'

const cli = (telemetry?: unknown): HostCli => ({
  bin: 'mycli',
  name: '@acme/mycli',
  pjson: {oclif: telemetry === undefined ? {} : {telemetry}},
  root: '/nowhere',
  version: '1.2.3',
})

describe('readSettings', () => {
  it('without any settings: the chef family, no endpoint (so nothing is recorded), the product named after the bin', () => {
    assert.deepEqual(readSettings(cli(), {}), {
      cli: {bin: 'mycli', name: '@acme/mycli', version: '1.2.3'},
      endpoint: undefined,
      endpointError: undefined,
      endpointSource: 'none',
      envPrefix: 'CHEF',
      events: {},
      licenseId: NULL_LICENSE,
      namespace: 'chef',
      privacyUrl: undefined,
      product: 'mycli',
    })
  })

  it('takes every setting, trimmed, with the endpoint without its trailing slashes', () => {
    const settings = readSettings(
      cli({
        endpoint: ' https://telemetry.example.com/v1// ',
        events: {deployed: ['targets', 3, 'ok'], junk: 'not a list'},
        licenseId: 'lic-1',
        namespace: 'Acme-Tools',
        privacyUrl: 'https://example.com/privacy',
        product: 'Acme CLI',
      }),
      {},
    )
    assert.deepEqual(
      {...settings, cli: undefined},
      {
        cli: undefined,
        endpoint: 'https://telemetry.example.com/v1',
        endpointError: undefined,
        endpointSource: 'package.json',
        envPrefix: 'ACME_TOOLS',
        events: {deployed: ['targets', 'ok']},
        licenseId: 'lic-1',
        namespace: 'acme-tools',
        privacyUrl: 'https://example.com/privacy',
        product: 'Acme CLI',
      },
    )
  })

  it("the family's endpoint variable wins over package.json", () => {
    const settings = readSettings(cli({endpoint: 'https://a.example.com'}), {
      CHEF_TELEMETRY_ENDPOINT: 'http://127.0.0.1:9/',
    })
    assert.deepEqual([settings.endpoint, settings.endpointSource], ['http://127.0.0.1:9', 'environment'])
  })

  it('refuses plain http except to loopback, and says why instead of using it', () => {
    const settings = readSettings(cli({endpoint: 'http://telemetry.example.com'}), {})
    assert.equal(settings.endpoint, undefined)
    assert.equal(
      settings.endpointError,
      'http://telemetry.example.com: only https: endpoints are allowed (http: only to a loopback address)',
    )
    assert.equal(endpointProblem('not a url'), 'it is not a URL')
    for (const ok of ['https://x.example', 'http://localhost:1', 'http://127.0.0.1', 'http://[::1]:8080'])
      assert.equal(endpointProblem(ok), undefined, ok)
    assert.ok(endpointProblem('ftp://x.example'))
  })

  it('a namespace that is no safe directory or variable name falls back to chef', () => {
    for (const namespace of ['../etc', '', 'a'.repeat(40), 'has space', 7])
      assert.deepEqual(familyOf(cli({namespace})), {envPrefix: 'CHEF', namespace: 'chef'}, String(namespace))
  })
})
