import {type Cell, toCsv} from './csv.js'

export interface Column<Row> {
  label: string
  /** Right-aligned, compared as numbers. */
  numeric?: boolean
  /** What the table shows (formatted); the CSV gets `value`. */
  text?: (row: Row) => string
  value: (row: Row) => Cell
}

export interface ChartSpec<Row> {
  columns: Column<Row>[]
  /** One sentence under the chart: what it shows and how it is counted. */
  description: string
  /** Stable name: element id, CSV file name, and the tests' handle. */
  id: string
  /** Draws the chart for a width in pixels (Observable Plot's SVG, or a figure holding it). */
  plot: (width: number) => Element
  rows: Row[]
  title: string
}

let cardCount = 0

/**
 * A chart card: title, the chart, a caption, and its data as a table (toggle) and as CSV. The SVG
 * is labelled with the title for screen readers, which can read the table instead.
 */
export function chartCard<Row>(spec: ChartSpec<Row>): HTMLElement {
  const n = ++cardCount
  const card = element('section', {'aria-labelledby': `c${n}-title`, class: 'card', 'data-chart': spec.id})
  const heading = element('h3', {id: `c${n}-title`}, spec.title)
  const actions = element('div', {class: 'card-actions'})
  const toggle = element(
    'button',
    {'aria-controls': `c${n}-table`, 'aria-expanded': 'false', type: 'button'},
    'Show table',
  )
  const header = spec.columns.map((c) => c.label)
  const csvRows = spec.rows.map((row) => spec.columns.map((c) => c.value(row)))
  const download = element(
    'a',
    {
      class: 'button',
      download: `${spec.id}.csv`,
      href: `data:text/csv;charset=utf-8,${encodeURIComponent(toCsv(header, csvRows))}`,
    },
    'Download CSV',
  )
  download.setAttribute('aria-label', `Download CSV: ${spec.title}`)
  actions.append(toggle, download)
  card.append(element('header', {class: 'card-header'}, heading, actions))

  const figure = element('figure', {class: 'chart'})
  if (spec.rows.length === 0) {
    figure.append(element('p', {class: 'empty'}, 'No data for these filters.'))
  } else {
    const plot = spec.plot(chartWidth())
    const svg = plot.tagName.toLowerCase() === 'svg' ? plot : plot.querySelector('svg')
    svg?.setAttribute('role', 'img')
    svg?.setAttribute('aria-label', `${spec.title}. ${spec.description}`)
    figure.append(plot)
  }

  figure.append(element('figcaption', {}, spec.description))
  card.append(figure)

  const wrap = element('div', {class: 'table-wrap', hidden: '', id: `c${n}-table`})
  wrap.append(dataTable(spec))
  card.append(wrap)
  toggle.addEventListener('click', () => {
    const open = wrap.hidden
    wrap.hidden = !open
    toggle.setAttribute('aria-expanded', String(open))
    toggle.textContent = open ? 'Hide table' : 'Show table'
  })
  return card
}

/** Cards sit two abreast on wide screens (see styles.css); Plot scales its SVG down if needed. */
function chartWidth(): number {
  const main = document.querySelector('main')?.clientWidth ?? 960
  return Math.round(Math.max(320, main >= 1100 ? (main - 24) / 2 - 34 : main - 34))
}

function dataTable<Row>(spec: ChartSpec<Row>): HTMLTableElement {
  const table = element('table')
  table.append(element('caption', {}, spec.title))
  const head = element('tr')
  for (const column of spec.columns) {
    head.append(element('th', {class: column.numeric ? 'num' : '', scope: 'col'}, column.label))
  }

  table.append(element('thead', {}, head))
  const body = element('tbody')
  for (const row of spec.rows) {
    const tr = element('tr')
    for (const [i, column] of spec.columns.entries()) {
      const value = column.value(row)
      const text = column.text ? column.text(row) : String(value ?? '')
      // data-value keeps the exact figure behind the formatted text (for copying and for the tests).
      const attributes = {
        class: column.numeric ? 'num' : '',
        'data-value': String(value ?? ''),
        ...(i === 0 ? {scope: 'row'} : {}),
      }
      tr.append(element(i === 0 ? 'th' : 'td', attributes, text))
    }

    body.append(tr)
  }

  table.append(body)
  return table
}

/** A small hyperscript: tag, attributes (empty ones left out, but for value and hidden), children. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes))
    if (value !== '' || name === 'hidden' || name === 'value') node.setAttribute(name, value)
  node.append(...children)
  return node
}
