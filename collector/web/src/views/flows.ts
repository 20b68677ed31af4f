import type {View} from './common.js'

import {getJson, type SessionsReport} from '../api.js'
import {apiParams} from '../filters.js'
import {formatInteger, label} from '../format.js'
import {FAILURE} from '../palette.js'
import {bars} from '../plots.js'
import {addCard} from './common.js'

type Step = SessionsReport['next'][number]

interface Length {
  commands: string
  sessions: number
}

const TOP = 20
/** Longer sessions are grouped: the long tail would make the chart unreadable. */
const LONG_SESSION = 15

const commandName = (command: null | string) => label(command, '(unknown command)')
const stepTarget = (s: Step) => (s.ended ? '(session ends)' : commandName(s.next))
const stepName = (s: Step) => `${commandName(s.command)} (${s.outcome ?? '?'}) → ${stepTarget(s)}`

const stepColumns = [
  {label: 'Command', value: (s: Step) => commandName(s.command)},
  {label: 'Outcome', value: (s: Step) => s.outcome ?? ''},
  {label: 'Next', value: stepTarget},
  {label: 'Times', numeric: true, text: (s: Step) => formatInteger(s.count), value: (s: Step) => s.count},
  {label: 'Runs of the command', numeric: true, text: (s: Step) => formatInteger(s.total), value: (s: Step) => s.total},
]

function lengths(report: SessionsReport): Length[] {
  const short = report.commands_per_session.filter((l) => l.commands < LONG_SESSION)
  const long = report.commands_per_session.filter((l) => l.commands >= LONG_SESSION)
  const rows = short.map((l) => ({commands: String(l.commands), sessions: l.sessions}))
  if (long.length > 0) rows.push({commands: `${LONG_SESSION}+`, sessions: long.reduce((sum, l) => sum + l.sessions, 0)})
  return rows
}

export const flows: View = async (root, filters) => {
  const sessions = getJson<SessionsReport>('report/sessions', {...apiParams(filters, {version: false}), limit: 200})
  await Promise.all([
    addCard(
      root,
      'Most frequent next commands',
      sessions.then((body) => {
        const rows = body.next
          .filter((s) => !s.ended)
          .sort((a, b) => b.count - a.count)
          .slice(0, TOP)
        return {
          columns: stepColumns,
          description: `The ${TOP} most frequent pairs of commands run one after the other in a session, with the outcome of the first.`,
          id: 'flows-next',
          plot: (w: number) =>
            bars(rows, {
              label: stepName,
              value: (s) => s.count,
              width: w,
              xLabel: 'Times',
              yLabel: 'Command (outcome) → next',
            }),
          rows,
          title: 'Most frequent next commands',
        }
      }),
    ),
    addCard(
      root,
      'After a failure',
      sessions.then((body) => {
        const rows = body.next
          .filter((s) => s.outcome === 'failure')
          .sort((a, b) => b.count - a.count)
          .slice(0, TOP)
        return {
          columns: stepColumns,
          description: 'What people run next after a command fails, or whether they give up (session ends).',
          id: 'flows-after-failure',
          plot: (w: number) =>
            bars(rows, {
              color: FAILURE,
              label: stepName,
              value: (s) => s.count,
              width: w,
              xLabel: 'Times',
              yLabel: 'Failed command → next',
            }),
          rows,
          title: 'After a failure, what next?',
        }
      }),
    ),
    addCard(
      root,
      'Commands per session',
      sessions.then((body) => {
        const rows = lengths(body)
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
          description: `How many commands the ${formatInteger(body.sessions)} sessions held (a session ends after 10 minutes without a command).`,
          id: 'flows-lengths',
          plot: (w: number) =>
            bars(rows, {
              label: (r) => r.commands,
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
