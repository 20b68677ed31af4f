import type {View} from './common.js'

import {report, type ReportRow} from '../api.js'
import {element} from '../chart.js'
import {apiParams, type Filters, formatHash} from '../filters.js'
import {label} from '../format.js'
import {bars} from '../plots.js'
import {addCard, reportColumns} from './common.js'

const TOP_VALUES = 10
const NOT_SET = '(not set)'

/** The property names asked for in the URL (`props=cookbook,box`), each once. */
function propertyList(filters: Filters): string[] {
  const names = (filters.props ?? '').split(',').map((p) => p.trim())
  return [...new Set(names.filter((p) => /^[\w.:-]{1,100}$/.test(p)))]
}

/**
 * The report API groups by `property.<name>` but cannot list the names a CLI declared, so the
 * view asks for them, keeps them in the URL, and skips the pairs an event does not carry.
 */
function propertyForm(filters: Filters): HTMLFormElement {
  const input = element('input', {
    'aria-describedby': 'props-help',
    id: 'props',
    name: 'props',
    placeholder: 'cookbook, box',
    type: 'text',
    value: propertyList(filters).join(', '),
  })
  const form = element(
    'form',
    {'aria-label': 'Properties', class: 'props-form'},
    element('label', {for: 'props'}, 'Properties to break down'),
    input,
    element('button', {type: 'submit'}, 'Show'),
    element(
      'p',
      {class: 'hint', id: 'props-help'},
      'The property names your CLIs declare for their custom events (see their package.json), separated by commas.',
    ),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    location.hash = formatHash('events', {...filters, props: input.value.replaceAll(/\s+/g, '')})
  })
  return form
}

/** For each custom event (not `command`): how often it happens, and the top values of each property. */
export const events: View = async (root, filters) => {
  root.before(propertyForm(filters))
  const params = apiParams(filters)
  const all = (await report({...params, by: 'event', limit: 100})).filter((r) => r.key && r.key !== 'command')
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
    for (const property of propertyList(filters)) {
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
