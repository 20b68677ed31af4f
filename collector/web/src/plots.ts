import * as Plot from '@observablehq/plot'

import {formatInteger} from './format.js'
import {FAILURE, FAILURE_FIRST, OKABE_ITO, PRIMARY} from './palette.js'

/** Whole-number ticks for small counts (no "0.5 events"). */
function countTicks(max: number): {tickFormat?: string; ticks?: number[]} {
  return max <= 10 ? {tickFormat: 'd', ticks: Array.from({length: Math.ceil(max) + 1}, (_, i) => i)} : {}
}

/** Left margin that fits the longest category label (Plot's default font is 10px sans-serif). */
function marginFor(labels: string[]): number {
  const longest = Math.max(0, ...labels.map((l) => l.length))
  return Math.min(260, Math.max(60, longest * 6.5 + 16))
}

/** A period key of the report API as a UTC date: 2026-11-28, 2026-11 or 2026-W48. */
export function periodDate(key: string): Date {
  const week = /^(\d{4})-W(\d{2})$/.exec(key)
  if (week) {
    // ISO week: the week with January 4th is week 1; weeks start on Monday.
    const jan4 = Date.UTC(Number(week[1]), 0, 4)
    const monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86_400_000
    return new Date(monday + (Number(week[2]) - 1) * 7 * 86_400_000)
  }

  return new Date(/^\d{4}-\d{2}$/.test(key) ? `${key}-01T00:00:00Z` : `${key.slice(0, 10)}T00:00:00Z`)
}

export interface BarOptions<Row> {
  color?: string
  label: (row: Row) => string
  /** Shown after each bar. */
  text?: (row: Row) => string
  value: (row: Row) => number
  width: number
  xLabel: string
  xPercent?: boolean
  yLabel: string
}

/** Horizontal bars, one per row, largest first: the readable shape for ranked categories. */
export function bars<Row>(rows: Row[], options: BarOptions<Row>): Element {
  const labels = rows.map((r) => options.label(r))
  const text =
    options.text ??
    ((r: Row) => (options.xPercent ? `${(options.value(r) * 100).toFixed(1)}%` : formatInteger(options.value(r))))
  return Plot.plot({
    height: Math.max(90, rows.length * 22 + 64),
    marginLeft: marginFor(labels),
    marginRight: 60,
    marginTop: 28,
    marks: [
      Plot.barX(rows, {
        fill: options.color ?? PRIMARY,
        sort: {order: null, y: null},
        title: (r: Row) => `${options.label(r)}: ${text(r)}`,
        x: (r: Row) => options.value(r),
        y: (r: Row) => options.label(r),
      }),
      Plot.text(rows, {
        dx: 4,
        fill: 'currentColor',
        text: (r: Row) => text(r),
        textAnchor: 'start',
        x: (r: Row) => options.value(r),
        y: (r: Row) => options.label(r),
      }),
      Plot.ruleX([0]),
    ],
    style: {fontSize: '12px'},
    width: options.width,
    x: {
      grid: true,
      label: `${options.xLabel} →`,
      labelAnchor: 'right',
      percent: options.xPercent ?? false,
      ...(options.xPercent ? {} : countTicks(Math.max(...rows.map((r) => options.value(r))))),
    },
    y: {domain: labels, label: options.yLabel, labelAnchor: 'top'},
  })
}

export interface TimeOptions<Row> {
  color?: string
  date: (row: Row) => Date
  interval: 'day' | 'monday' | 'month' | 'week'
  mark?: 'bar' | 'line'
  value: (row: Row) => number
  width: number
  yLabel: string
}

/** A count over time: bars per period, or a line for long daily series. */
export function timeSeries<Row>(rows: Row[], options: TimeOptions<Row>): Element {
  const color = options.color ?? PRIMARY
  const channels = {
    title: (r: Row) => `${options.date(r).toISOString().slice(0, 10)}: ${formatInteger(options.value(r))}`,
    x: options.date,
    y: options.value,
  }
  const marks =
    options.mark === 'line'
      ? [
          Plot.lineY(rows, {...channels, stroke: color, strokeWidth: 2}),
          Plot.dot(rows, {...channels, fill: color, r: 2.5}),
        ]
      : [Plot.rectY(rows, {...channels, fill: color, inset: 0.5, interval: options.interval})]
  return Plot.plot({
    height: 250,
    marginBottom: 42,
    marginLeft: 56,
    marginRight: 36,
    marks: [...marks, Plot.ruleY([0])],
    style: {fontSize: '12px'},
    width: options.width,
    // Monthly bars get month ticks; Plot's default ticks suit days and weeks.
    x:
      options.interval === 'month'
        ? {label: 'Month (UTC)', labelOffset: 38, tickFormat: '%b %Y', ticks: 'month', type: 'utc'}
        : {label: 'Date (UTC)', labelOffset: 38, type: 'utc'},
    y: {grid: true, label: `↑ ${options.yLabel}`, tickFormat: '~s'},
  })
}

export interface MultiLineOptions<Row> {
  date: (row: Row) => Date
  series: (row: Row) => string
  value: (row: Row) => number
  width: number
  yLabel: string
  yPercent?: boolean
}

/** Several series over time, one colour each, with a legend (version adoption). */
export function multiLine<Row>(rows: Row[], options: MultiLineOptions<Row>): Element {
  const channels = {stroke: options.series, x: options.date, y: options.value, z: options.series}
  return Plot.plot({
    color: {legend: true, range: OKABE_ITO, type: 'ordinal'},
    height: 280,
    marginLeft: 56,
    marks: [
      Plot.lineY(rows, {...channels, strokeWidth: 2}),
      Plot.dot(rows, {
        ...channels,
        fill: options.series,
        r: 3,
        // Each series gets its own symbol too, so it does not rest on colour alone.
        symbol: options.series,
        title: (r: Row) =>
          `${options.series(r)}, ${options.date(r).toISOString().slice(0, 10)}: ${options.yPercent ? `${(options.value(r) * 100).toFixed(1)}%` : formatInteger(options.value(r))}`,
      }),
      Plot.ruleY([0]),
    ],
    style: {fontSize: '12px'},
    symbol: {legend: false},
    width: options.width,
    x: {label: 'Week (UTC)', type: 'utc'},
    y: {grid: true, label: `↑ ${options.yLabel}`, percent: options.yPercent ?? false},
  })
}

export interface StackOptions<Row> {
  category: (row: Row) => string
  label: (row: Row) => string
  value: (row: Row) => number
  width: number
  xLabel: string
  yLabel: string
}

function stackMax<Row>(rows: Row[], options: StackOptions<Row>): number {
  const sums = new Map<string, number>()
  for (const r of rows) sums.set(options.label(r), (sums.get(options.label(r)) ?? 0) + options.value(r))
  return Math.max(0, ...sums.values())
}

/** Horizontal stacked bars: each row a category, split by another (error classes per command). */
export function stackedBars<Row>(rows: Row[], options: StackOptions<Row>): Element {
  const labels = [...new Set(rows.map((r) => options.label(r)))]
  return Plot.plot({
    color: {legend: true, range: FAILURE_FIRST, type: 'ordinal'},
    height: Math.max(90, labels.length * 28 + 64),
    marginLeft: marginFor(labels),
    marginTop: 28,
    marks: [
      Plot.barX(rows, {
        fill: options.category,
        stroke: 'white',
        title: (r: Row) => `${options.label(r)}, ${options.category(r)}: ${formatInteger(options.value(r))}`,
        x: options.value,
        y: options.label,
      }),
      Plot.ruleX([0]),
    ],
    style: {fontSize: '12px'},
    width: options.width,
    x: {grid: true, label: `${options.xLabel} →`, labelAnchor: 'right', ...countTicks(stackMax(rows, options))},
    y: {domain: labels, label: options.yLabel, labelAnchor: 'top'},
  })
}

export interface RangeOptions<Row> {
  high: (row: Row) => number
  label: (row: Row) => string
  low: (row: Row) => number
  width: number
  xLabel: string
  yLabel: string
}

/** Dumbbells from a low to a high value per category (p50 to p90 duration). */
export function ranges<Row>(rows: Row[], options: RangeOptions<Row>): Element {
  const labels = rows.map((r) => options.label(r))
  // A log axis has no zero; a duration under 1 ms is drawn at 1 ms (the table has the figure).
  const low = (r: Row) => Math.max(1, options.low(r))
  const high = (r: Row) => Math.max(1, options.high(r))
  const title = (r: Row) =>
    `${options.label(r)}: p50 ${formatInteger(options.low(r))} ms, p90 ${formatInteger(options.high(r))} ms`
  return Plot.plot({
    height: Math.max(90, rows.length * 22 + 74),
    marginLeft: marginFor(labels),
    marginTop: 28,
    marks: [
      Plot.link(rows, {
        stroke: '#999',
        strokeWidth: 2,
        x1: low,
        x2: high,
        y1: options.label,
        y2: options.label,
      }),
      Plot.dot(rows, {fill: PRIMARY, r: 4, symbol: 'circle', title, x: low, y: options.label}),
      Plot.dot(rows, {fill: FAILURE, r: 4, symbol: 'diamond', title, x: high, y: options.label}),
    ],
    style: {fontSize: '12px'},
    width: options.width,
    x: {grid: true, label: `${options.xLabel} →`, labelAnchor: 'right', type: 'log'},
    y: {domain: labels, label: options.yLabel, labelAnchor: 'top'},
  })
}
