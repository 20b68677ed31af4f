import type {View} from './common.js'

import {report, type ReportRow} from '../api.js'
import {apiParams} from '../filters.js'
import {formatInteger, label} from '../format.js'
import {FAILURE, SECONDARY} from '../palette.js'
import {bars, ranges, stackedBars} from '../plots.js'
import {addCard, failureRate, reportColumns} from './common.js'

const TOP = 15
/** Failure rates of rarely used commands are noise. */
const MIN_EVENTS_FOR_RATE = 20

const commandLabel = (r: ReportRow) => label(r.key)

interface ErrorRow {
  command: string
  error: string
  failures: number
}

export const commands: View = async (root, filters) => {
  const params = apiParams(filters)
  const all = report({...params, by: 'command', event: 'command', limit: 1000}).then((rows) =>
    rows.filter((r) => r.key !== null),
  )

  await Promise.all([
    addCard(
      root,
      'Most used commands',
      all.then((rows) => {
        const byEvents = rows.slice(0, TOP)
        const byInstances = [...rows].sort((a, b) => b.instances - a.instances || b.events - a.events).slice(0, TOP)
        return [
          {
            columns: reportColumns('Command'),
            description: `The ${TOP} commands run most often (events).`,
            id: 'commands-events',
            plot: (w: number) =>
              bars(byEvents, {
                label: commandLabel,
                value: (r) => r.events,
                width: w,
                xLabel: 'Events',
                yLabel: 'Command',
              }),
            rows: byEvents,
            title: 'Most used commands, by events',
          },
          {
            columns: reportColumns('Command'),
            description: `The ${TOP} commands run by the most distinct instances.`,
            id: 'commands-instances',
            plot: (w: number) =>
              bars(byInstances, {
                color: SECONDARY,
                label: commandLabel,
                value: (r) => r.instances,
                width: w,
                xLabel: 'Instances',
                yLabel: 'Command',
              }),
            rows: byInstances,
            title: 'Most used commands, by instances',
          },
        ]
      }),
    ),
    addCard(
      root,
      'Failure rate by command',
      all.then((rows) => {
        const failing = rows
          .filter((r) => r.events >= MIN_EVENTS_FOR_RATE && r.failures > 0)
          .sort((a, b) => failureRate(b) - failureRate(a) || b.failures - a.failures)
          .slice(0, TOP)
        return {
          columns: reportColumns('Command', {failures: true}),
          description: `Share of runs that failed, for commands run at least ${MIN_EVENTS_FOR_RATE} times; highest first.`,
          id: 'commands-failure-rate',
          plot: (w: number) =>
            bars(failing, {
              color: FAILURE,
              label: commandLabel,
              value: failureRate,
              width: w,
              xLabel: 'Failure rate (%)',
              xPercent: true,
              yLabel: 'Command',
            }),
          rows: failing,
          title: 'Failure rate by command',
        }
      }),
    ),
    addCard(
      root,
      'Duration by command',
      all.then((rows) => {
        const timed = rows.filter((r) => r.p50_ms !== null && r.p90_ms !== null).slice(0, TOP)
        return {
          columns: reportColumns('Command', {durations: true}),
          description:
            'Median (p50, circle) and 90th percentile (p90, diamond) duration of the most used commands; logarithmic axis.',
          id: 'commands-duration',
          plot: (w: number) =>
            ranges(timed, {
              high: (r) => r.p90_ms ?? 0,
              label: commandLabel,
              low: (r) => r.p50_ms ?? 0,
              width: w,
              xLabel: 'Duration (ms)',
              yLabel: 'Command',
            }),
          rows: timed,
          title: 'Duration by command (p50 to p90)',
        }
      }),
    ),
    addCard(
      root,
      'Failing commands by error class',
      all.then(async (rows) => {
        const worst = rows
          .filter((r) => r.failures > 0)
          .sort((a, b) => b.failures - a.failures)
          .slice(0, 8)
        const split = await Promise.all(
          worst.map(async (r) => {
            const errors = await report({
              ...params,
              by: 'error',
              command: r.key!,
              event: 'command',
              limit: 6,
              outcome: 'failure',
            })
            return errors.map((e): ErrorRow => ({
              command: r.key!,
              error: label(e.key, '(no class)'),
              failures: e.events,
            }))
          }),
        )
        const errorRows = split.flat()
        return {
          columns: [
            {label: 'Command', value: (r: ErrorRow) => r.command},
            {label: 'Error class', value: (r: ErrorRow) => r.error},
            {
              label: 'Failures',
              numeric: true,
              text: (r: ErrorRow) => formatInteger(r.failures),
              value: (r: ErrorRow) => r.failures,
            },
          ],
          description:
            'The commands with the most failures, split by the class of the error they ended with (top 6 classes each).',
          id: 'commands-errors',
          plot: (w: number) =>
            stackedBars(errorRows, {
              category: (r) => r.error,
              label: (r) => r.command,
              value: (r) => r.failures,
              width: w,
              xLabel: 'Failures',
              yLabel: 'Command',
            }),
          rows: errorRows,
          title: 'Failing commands by error class',
        }
      }),
    ),
    addCard(
      root,
      'Unknown commands by suggestion',
      report({...params, by: 'suggestion', event: 'command', limit: TOP, outcome: 'not_found'}).then((rows) => ({
        columns: reportColumns('Suggested command', {none: '(no suggestion)'}),
        description:
          'Commands that do not exist, by the nearest existing command the CLI suggested (what people probably meant). The words typed are never collected.',
        id: 'commands-unknown',
        plot: (w: number) =>
          bars(rows, {
            label: (r) => label(r.key, '(no suggestion)'),
            value: (r) => r.events,
            width: w,
            xLabel: 'Unknown command events',
            yLabel: 'Suggestion',
          }),
        rows,
        title: 'Unknown commands by suggestion',
      })),
    ),
    addCard(
      root,
      'Help usage',
      report({...params, by: 'command', event: 'command', limit: TOP, outcome: 'help'}).then((rows) => ({
        columns: reportColumns('Help for', {none: '(general help)'}),
        description: 'Help shown instead of running a command, by the command it was asked for.',
        id: 'commands-help',
        plot: (w: number) =>
          bars(rows, {
            label: (r) => label(r.key, '(general help)'),
            value: (r) => r.events,
            width: w,
            xLabel: 'Help requests',
            yLabel: 'Help for',
          }),
        rows,
        title: 'Help usage',
      })),
    ),
  ])
}
