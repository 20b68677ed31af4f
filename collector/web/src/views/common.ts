import type {Filters} from '../filters.js'

import {type ReportRow, SessionExpiredError} from '../api.js'
import {chartCard, type ChartSpec, type Column, element} from '../chart.js'
import {formatInteger, formatMs, formatPercent, label} from '../format.js'

export type View = (root: HTMLElement, filters: Filters) => Promise<void>

/**
 * Add a card to the view as soon as its data arrives; cards keep their place in the page whatever
 * order the answers come in. A failed request shows its message in the card, not a blank page.
 */
export function addCard<Row>(
  root: HTMLElement,
  title: string,
  spec: Promise<ChartSpec<Row> | ChartSpec<Row>[]>,
): Promise<void> {
  const slot = element('div', {class: 'slot', 'data-loading': title})
  slot.append(element('p', {class: 'loading'}, `Loading ${title}…`))
  root.append(slot)
  return spec.then(
    (specs) => {
      slot.replaceChildren(...(Array.isArray(specs) ? specs : [specs]).map((s) => chartCard(s)))
      delete slot.dataset.loading
    },
    (error: Error) => {
      if (error instanceof SessionExpiredError) throw error
      slot.replaceChildren(
        element(
          'section',
          {class: 'card error', role: 'alert'},
          element('h3', {}, title),
          element('p', {}, error.message),
        ),
      )
      delete slot.dataset.loading
    },
  )
}

/** Table columns of a report row: key, events, instances, and optionally failures and durations. */
export function reportColumns(
  keyLabel: string,
  extra: {durations?: boolean; failures?: boolean; none?: string} = {},
): Column<ReportRow>[] {
  const columns: Column<ReportRow>[] = [
    {label: keyLabel, value: (r) => label(r.key, extra.none)},
    {label: 'Events', numeric: true, text: (r) => formatInteger(r.events), value: (r) => r.events},
    {label: 'Instances', numeric: true, text: (r) => formatInteger(r.instances), value: (r) => r.instances},
  ]
  if (extra.failures) {
    columns.push(
      {label: 'Failures', numeric: true, text: (r) => formatInteger(r.failures), value: (r) => r.failures},
      {
        label: 'Failure rate',
        numeric: true,
        text: (r) => formatPercent(failureRate(r)),
        value: (r) => round(failureRate(r)),
      },
    )
  }

  if (extra.durations) {
    columns.push(
      {label: 'p50 duration (ms)', numeric: true, text: (r) => formatMs(r.p50_ms), value: (r) => r.p50_ms},
      {label: 'p90 duration (ms)', numeric: true, text: (r) => formatMs(r.p90_ms), value: (r) => r.p90_ms},
    )
  }

  return columns
}

export const failureRate = (r: ReportRow): number => (r.events === 0 ? 0 : r.failures / r.events)
export const round = (value: number): number => Math.round(value * 10_000) / 10_000
