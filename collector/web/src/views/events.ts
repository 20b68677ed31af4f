import type {View} from './common.js'

import {getJson, type PropertyRow, report, type ReportRow} from '../api.js'
import {element} from '../chart.js'
import {apiParams} from '../filters.js'
import {label} from '../format.js'
import {bars} from '../plots.js'
import {addCard, reportColumns} from './common.js'

const TOP_VALUES = 10
const NOT_SET = '(not set)'

/** For each custom event (not `command`): how often it happens, and the top values of each property. */
export const events: View = async (root, filters) => {
  const params = apiParams(filters)
  // Property names come from every product's events of the date range; a card for a property none of
  // the chosen product's events carries is skipped below.
  const [all, listed] = await Promise.all([
    report({...params, by: 'event', limit: 100}).then((rows) => rows.filter((r) => r.key && r.key !== 'command')),
    getJson<{rows: PropertyRow[]}>('report/properties', apiParams(filters, {product: false, version: false})),
  ])
  if (all.length === 0) {
    root.append(
      element(
        'p',
        {class: 'empty'},
        'No custom events for these filters. A CLI declares its own events in its package.json.',
      ),
    )
    return
  }

  const cards = [
    addCard(
      root,
      'Custom events',
      Promise.resolve({
        columns: reportColumns('Event'),
        description: 'Custom events (declared by each CLI) received over the date range.',
        id: 'events-all',
        plot: (w: number) =>
          bars(all, {label: (r) => label(r.key), value: (r) => r.events, width: w, xLabel: 'Events', yLabel: 'Event'}),
        rows: all,
        title: 'Custom events',
      }),
    ),
  ]
  for (const {key: event} of all) {
    for (const {property} of listed.rows.filter((r) => r.event === event)) {
      cards.push(
        addCard(
          root,
          `${event}: ${property}`,
          report({...params, by: `property.${property}`, event: event!, limit: TOP_VALUES}).then((rows) => {
            const values = rows.filter((r) => r.key !== null)
            // An event without this property: no card (every key would be "not set").
            if (values.length === 0) return []
            return {
              columns: reportColumns(property, {none: NOT_SET}),
              description: `The ${TOP_VALUES} most frequent values of ${property} in ${event} events.`,
              id: `event-${event}-${property}`,
              plot: (w: number) =>
                bars(rows, {
                  label: (r: ReportRow) => label(r.key, NOT_SET),
                  value: (r) => r.events,
                  width: w,
                  xLabel: 'Events',
                  yLabel: property,
                }),
              rows,
              title: `${event}: top ${property} values`,
            }
          }),
        ),
      )
    }
  }

  await Promise.all(cards)
}
