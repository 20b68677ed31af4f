import type {View} from './common.js'

import {getJson} from '../api.js'
import {apiParams} from '../filters.js'
import {formatInteger} from '../format.js'
import {bars} from '../plots.js'
import {addCard} from './common.js'

/** GET /report/sessions (see the collector's README). */
interface SessionsReport {
  /** Sessions by number of commands. */
  lengths: {commands: number; sessions: number}[]
  /** Most frequent pairs of consecutive commands in a session. */
  transitions: {count: number; from: string; to: string}[]
}

type Transition = SessionsReport['transitions'][number]
type Length = SessionsReport['lengths'][number]

const transitionName = (r: Transition) => `${r.from} → ${r.to}`

export const flows: View = async (root, filters) => {
  const sessions = getJson<SessionsReport>('report/sessions', apiParams(filters, {version: false}))
  await Promise.all([
    addCard(
      root,
      'Most frequent next commands',
      sessions.then((body) => {
        const rows = body.transitions.slice(0, 20)
        return {
          columns: [
            {label: 'Command', value: (r: Transition) => r.from},
            {label: 'Next command', value: (r: Transition) => r.to},
            {
              label: 'Times',
              numeric: true,
              text: (r: Transition) => formatInteger(r.count),
              value: (r: Transition) => r.count,
            },
          ],
          description: 'Pairs of commands run one after the other in the same session, most frequent first.',
          id: 'flows-next',
          plot: (w: number) =>
            bars(rows, {
              label: transitionName,
              value: (r) => r.count,
              width: w,
              xLabel: 'Times',
              yLabel: 'Command → next command',
            }),
          rows,
          title: 'Most frequent next commands',
        }
      }),
    ),
    addCard(
      root,
      'Commands per session',
      sessions.then((body) => {
        const rows = [...body.lengths].sort((a, b) => a.commands - b.commands)
        return {
          columns: [
            {label: 'Commands in the session', value: (r: Length) => r.commands},
            {
              label: 'Sessions',
              numeric: true,
              text: (r: Length) => formatInteger(r.sessions),
              value: (r: Length) => r.sessions,
            },
          ],
          description: 'How many commands a session holds (a session ends after 10 minutes without a command).',
          id: 'flows-lengths',
          plot: (w: number) =>
            bars(rows, {
              label: (r) => String(r.commands),
              value: (r) => r.sessions,
              width: w,
              xLabel: 'Sessions',
              yLabel: 'Commands',
            }),
          rows,
          title: 'Commands per session',
        }
      }),
    ),
  ])
}
