import type {Column} from '../chart.js'
import type {View} from './common.js'

import {type ActiveRow, getJson, report, type ReportRow} from '../api.js'
import {apiParams, type Filters} from '../filters.js'
import {formatInteger} from '../format.js'
import {SECONDARY} from '../palette.js'
import {bars, periodDate, timeSeries} from '../plots.js'
import {addCard, reportColumns} from './common.js'

type Period = 'day' | 'month' | 'week'

/**
 * Active instances per period. /report/active has no version filter; with a version chosen, the
 * same figure comes from /report?by=<period> (distinct instances of each period's events).
 */
export async function activeRows(period: Period, filters: Filters): Promise<ActiveRow[]> {
  if (filters.version) {
    const rows = await report({...apiParams(filters), by: period})
    return rows
      .filter((r): r is ReportRow & {key: string} => r.key !== null)
      .map((r) => ({events: r.events, instances: r.instances, period: r.key}))
      .sort((a, b) => a.period.localeCompare(b.period))
  }

  const body = await getJson<{rows: ActiveRow[]}>('report/active', {...apiParams(filters, {version: false}), period})
  return [...body.rows].sort((a, b) => a.period.localeCompare(b.period))
}

const INTERVAL = {day: 'day', month: 'month', week: 'monday'} as const
const PERIOD_TITLE = {day: 'day', month: 'month', week: 'week'}

function periodColumns(name: string): Column<ActiveRow>[] {
  return [
    {label: name, value: (r: ActiveRow) => r.period},
    {
      label: 'Active instances',
      numeric: true,
      text: (r: ActiveRow) => formatInteger(r.instances),
      value: (r: ActiveRow) => r.instances,
    },
    {
      label: 'Events',
      numeric: true,
      text: (r: ActiveRow) => formatInteger(r.events),
      value: (r: ActiveRow) => r.events,
    },
  ]
}

export const overview: View = async (root, filters) => {
  const daily = activeRows('day', filters)
  const cards = [
    addCard(
      root,
      'Active instances per day',
      daily.then((rows) => ({
        columns: periodColumns('Day'),
        description: 'Distinct instances that sent at least one event that day (UTC).',
        id: 'active-day',
        plot: (w: number) =>
          timeSeries(rows, {
            date: (r) => periodDate(r.period),
            interval: 'day',
            mark: rows.length > 45 ? 'line' : 'bar',
            value: (r) => r.instances,
            width: w,
            yLabel: 'Active instances',
          }),
        rows,
        title: 'Active instances per day',
      })),
    ),
    addCard(
      root,
      'Events per day',
      daily.then((rows) => ({
        columns: periodColumns('Day'),
        description: 'Events received per day (UTC): commands and custom events.',
        id: 'events-day',
        plot: (w: number) =>
          timeSeries(rows, {
            color: SECONDARY,
            date: (r) => periodDate(r.period),
            interval: 'day',
            value: (r) => r.events,
            width: w,
            yLabel: 'Events',
          }),
        rows,
        title: 'Events per day',
      })),
    ),
  ]
  for (const period of ['week', 'month'] as const) {
    cards.push(
      addCard(
        root,
        `Active instances per ${PERIOD_TITLE[period]}`,
        activeRows(period, filters).then((rows) => ({
          columns: periodColumns(period === 'week' ? 'Week' : 'Month'),
          description: `Distinct instances active in each ${PERIOD_TITLE[period]} (UTC); the first and last may be partly outside the date range.`,
          id: `active-${period}`,
          plot: (w: number) =>
            timeSeries(rows, {
              date: (r) => periodDate(r.period),
              interval: INTERVAL[period],
              value: (r) => r.instances,
              width: w,
              yLabel: 'Active instances',
            }),
          rows,
          title: `Active instances per ${PERIOD_TITLE[period]}`,
        })),
      ),
    )
  }

  cards.push(
    addCard(
      root,
      'Usage by product',
      report({...apiParams(filters), by: 'product', limit: 200}).then((rows) => ({
        columns: reportColumns('Product'),
        description: 'Events and distinct instances per product over the date range.',
        id: 'by-product',
        plot: (w: number) =>
          bars(rows, {
            label: (r) => r.key ?? '(none)',
            value: (r) => r.events,
            width: w,
            xLabel: 'Events',
            yLabel: 'Product',
          }),
        rows,
        title: 'Usage by product',
      })),
    ),
  )
  await Promise.all(cards)
}
