import type {View} from './common.js'

import {getJson, report} from '../api.js'
import {apiParams} from '../filters.js'
import {label} from '../format.js'
import {bars} from '../plots.js'
import {addCard, reportColumns} from './common.js'

const TOP_VALUES = 10

/** The property names recorded for a custom event (declared by the CLI in its package.json). */
async function propertyNames(event: string, params: Record<string, string>): Promise<string[]> {
  const body = await getJson<{rows: {key: null | string}[]}>('report', {...params, by: 'property', event, limit: 50})
  return body.rows.flatMap((r) => (r.key ? [r.key] : []))
}

/** For each custom event (not `command`), the top values of each of its properties. */
export const events: View = async (root, filters) => {
  const params = apiParams(filters)
  const names = (await report({...params, by: 'event', limit: 50})).flatMap((r) =>
    r.key && r.key !== 'command' ? [r.key] : [],
  )
  if (names.length === 0) {
    const empty = document.createElement('p')
    empty.className = 'empty'
    empty.textContent =
      'No custom events for these filters. A CLI declares its own events in its package.json (see docs/cli-authors.md).'
    root.append(empty)
    return
  }

  await Promise.all(
    names.map((event) =>
      addCard(
        root,
        `Event ${event}`,
        propertyNames(event, params).then((properties) =>
          Promise.all(
            properties.map(async (property) => {
              const rows = await report({...params, by: `property.${property}`, event, limit: TOP_VALUES})
              return {
                columns: reportColumns(property, {none: '(not set)'}),
                description: `The ${TOP_VALUES} most frequent values of ${property} in ${event} events.`,
                id: `event-${event}-${property}`,
                plot: (w: number) =>
                  bars(rows, {
                    label: (r) => label(r.key, '(not set)'),
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
        ),
      ),
    ),
  )
}
