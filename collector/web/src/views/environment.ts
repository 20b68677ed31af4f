import type {View} from './common.js'

import {report, type ReportRow} from '../api.js'
import {apiParams} from '../filters.js'
import {formatInteger, formatPercent, label} from '../format.js'
import {bars} from '../plots.js'
import {addCard} from './common.js'

interface ShareRow extends ReportRow {
  share: number
}

const DIMENSIONS = [
  {by: 'os', none: '(unknown)', title: 'Operating system'},
  {by: 'arch', none: '(unknown)', title: 'CPU architecture'},
  {by: 'node', none: '(unknown)', title: 'Node.js version'},
  {by: 'ci', none: '(not in CI)', title: 'CI'},
] as const

export const environment: View = async (root, filters) => {
  await Promise.all(
    DIMENSIONS.map(({by, none, title}) =>
      addCard(
        root,
        title,
        report({...apiParams(filters), by, event: 'command', limit: 1000}).then((all) => {
          // Shares of the instances seen; an instance that changed (say, upgraded Node.js) counts in both.
          const total = all.reduce((sum, r) => sum + r.instances, 0)
          const rows: ShareRow[] = [...all]
            .sort((a, b) => b.instances - a.instances || b.events - a.events)
            .slice(0, 12)
            .map((r) => ({...r, share: total ? r.instances / total : 0}))
          return {
            columns: [
              {label: title, value: (r: ShareRow) => label(r.key, none)},
              {
                label: 'Instances',
                numeric: true,
                text: (r: ShareRow) => formatInteger(r.instances),
                value: (r: ShareRow) => r.instances,
              },
              {
                label: 'Share of instances',
                numeric: true,
                text: (r: ShareRow) => formatPercent(r.share),
                value: (r: ShareRow) => Math.round(r.share * 10_000) / 10_000,
              },
              {
                label: 'Events',
                numeric: true,
                text: (r: ShareRow) => formatInteger(r.events),
                value: (r: ShareRow) => r.events,
              },
            ],
            description: `Share of the instances that ran commands, by ${title.toLowerCase()} (top 12).`,
            id: `environment-${by}`,
            plot: (w: number) =>
              bars(rows, {
                label: (r) => label(r.key, none),
                value: (r) => r.share,
                width: w,
                xLabel: 'Share of instances (%)',
                xPercent: true,
                yLabel: title,
              }),
            rows,
            title: `${title} share`,
          }
        }),
      ),
    ),
  )
}
