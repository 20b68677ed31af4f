import type {View} from './views/common.js'

import {report, SessionExpiredError} from './api.js'
import {element} from './chart.js'
import {dayRange, type Filters, formatHash, parseHash, type ViewId, VIEWS} from './filters.js'
import {commands} from './views/commands.js'
import {environment} from './views/environment.js'
import {events} from './views/events.js'
import {flows} from './views/flows.js'
import {overview} from './views/overview.js'
import {versions} from './views/versions.js'

const RENDER: Record<ViewId, View> = {commands, environment, events, flows, overview, versions}

const main = document.querySelector<HTMLElement>('#view')!
const nav = document.querySelector<HTMLElement>('#views')!
const form = document.querySelector<HTMLFormElement>('#filters')!
const status = document.querySelector<HTMLElement>('#status')!

let renderCount = 0

function navigate(view: ViewId, filters: Filters): void {
  const hash = formatHash(view, filters)
  if (location.hash === hash) render()
  else location.hash = hash
}

function renderNav(view: ViewId, filters: Filters): void {
  nav.replaceChildren(
    ...VIEWS.map((v) => {
      const link = element('a', {href: formatHash(v.id, filters)}, v.title)
      if (v.id === view) link.setAttribute('aria-current', 'page')
      return link
    }),
  )
}

function select(id: string, text: string, options: [string, string][], value: string): HTMLSelectElement {
  const node = element('select', {id, name: id})
  for (const [optionValue, optionText] of options) node.append(element('option', {value: optionValue}, optionText))
  node.value = options.some(([v]) => v === value) ? value : (options[0]?.[0] ?? '')
  node.setAttribute('aria-label', text)
  return node
}

/** The filter bar: product, version (of that product), date range; each change updates the URL. */
async function renderFilters(view: ViewId, filters: Filters): Promise<void> {
  const range = dayRange(filters)
  const [products, versions] = await Promise.all([
    report({...range, by: 'product', limit: 200}),
    filters.product ? report({...range, by: 'version', limit: 200, product: filters.product}) : Promise.resolve([]),
  ])
  const productNames = products.flatMap((r) => (r.key ? [r.key] : []))
  if (filters.product && !productNames.includes(filters.product)) productNames.unshift(filters.product)
  const versionNames = versions.flatMap((r) =>
    r.key ? [r.key.startsWith(`${filters.product}@`) ? r.key.slice(filters.product!.length + 1) : r.key] : [],
  )
  if (filters.version && !versionNames.includes(filters.version)) versionNames.unshift(filters.version)

  const product = select(
    'product',
    'Product',
    [['', 'All products'], ...productNames.map((p): [string, string] => [p, p])],
    filters.product ?? '',
  )
  const version = select(
    'version',
    'Version',
    [
      ['', filters.product ? 'All versions' : 'All versions (choose a product)'],
      ...versionNames.map((v): [string, string] => [v, v]),
    ],
    filters.version ?? '',
  )
  version.disabled = !filters.product
  const rangeSelect = select(
    'range',
    'Date range',
    [
      ['7', 'Last 7 days'],
      ['30', 'Last 30 days'],
      ['90', 'Last 90 days'],
      ['custom', 'Custom range'],
    ],
    filters.range,
  )
  const from = element('input', {id: 'from', max: range.to, name: 'from', type: 'date', value: range.from})
  const to = element('input', {id: 'to', min: range.from, name: 'to', type: 'date', value: range.to})
  const custom = element(
    'span',
    {class: 'custom-range', ...(filters.range === 'custom' ? {} : {hidden: ''})},
    element('label', {for: 'from'}, 'From'),
    from,
    element('label', {for: 'to'}, 'To'),
    to,
  )
  const field = (labelText: string, control: HTMLElement) =>
    element('span', {class: 'field'}, element('label', {for: control.id}, labelText), control)

  form.replaceChildren(field('Product', product), field('Version', version), field('Date range', rangeSelect), custom)

  product.addEventListener('change', () =>
    navigate(view, {...filters, product: product.value || undefined, version: undefined}),
  )
  version.addEventListener('change', () => navigate(view, {...filters, version: version.value || undefined}))
  rangeSelect.addEventListener('change', () => {
    const next = rangeSelect.value as Filters['range']
    if (next === 'custom') {
      custom.hidden = false
      navigate(view, {...filters, from: from.value, range: 'custom', to: to.value})
      from.focus()
    } else {
      navigate(view, {...filters, from: undefined, range: next, to: undefined})
    }
  })
  const applyCustom = () => {
    if (from.value && to.value && from.value <= to.value)
      navigate(view, {...filters, from: from.value, range: 'custom', to: to.value})
  }

  from.addEventListener('change', applyCustom)
  to.addEventListener('change', applyCustom)
}

function describe(view: ViewId, filters: Filters): string {
  const {from, to} = dayRange(filters)
  const scope = filters.product ? `${filters.product}${filters.version ? ` ${filters.version}` : ''}` : 'all products'
  return `${VIEWS.find((v) => v.id === view)!.title}: ${scope}, ${from} to ${to} (UTC).`
}

function showSignIn(): void {
  main.replaceChildren(
    element(
      'section',
      {class: 'card error', role: 'alert'},
      element('h3', {}, 'Signed out'),
      element('p', {}, 'Your session has ended. '),
      element('a', {href: './'}, 'Sign in again'),
    ),
  )
  status.textContent = 'Signed out.'
}

/** Draw the view the URL names; never rejects (errors are shown on the page). */
async function render(): Promise<void> {
  const id = ++renderCount
  const {filters, view} = parseHash(location.hash)
  const canonical = formatHash(view, filters)
  if (location.hash !== canonical) history.replaceState(null, '', canonical)
  const {title} = VIEWS.find((v) => v.id === view)!
  document.title = `${title} · Telemetry dashboard`
  renderNav(view, filters)
  main.setAttribute('aria-busy', 'true')
  main.dataset.state = 'loading'
  status.textContent = `Loading ${describe(view, filters)}`
  const root = element('div', {class: 'cards'})
  main.replaceChildren(element('h2', {class: 'view-title'}, title), root)
  try {
    await Promise.all([renderFilters(view, filters), RENDER[view](root, filters)])
    if (id !== renderCount) return
    status.textContent = describe(view, filters)
  } catch (error) {
    if (id !== renderCount) return
    if (error instanceof SessionExpiredError) showSignIn()
    else status.textContent = `The collector could not answer: ${(error as Error).message}`
  } finally {
    if (id === renderCount) {
      main.setAttribute('aria-busy', 'false')
      main.dataset.state = 'ready'
      // The time from navigation to a complete view, for bench/dashboard.
      main.dataset.renderedAt = String(Math.round(performance.now()))
    }
  }
}

// The hash holds the route, so the skip link moves the focus itself instead of following "#view".
document.querySelector('.skip')?.addEventListener('click', (event) => {
  event.preventDefault()
  main.focus()
})
globalThis.addEventListener('hashchange', () => render())
await render()
