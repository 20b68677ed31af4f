import type {View} from './common.js'

import {report} from '../api.js'
import {apiParams, type Filters} from '../filters.js'
import {formatInteger, formatPercent} from '../format.js'
import {multiLine, periodDate} from '../plots.js'
import {addCard} from './common.js'
import {activeRows} from './overview.js'

/** Versions drawn per product; the rest would be unreadable lines. */
const TOP_VERSIONS = 6
/** Products shown when none is chosen. */
const TOP_PRODUCTS = 3

interface ShareRow {
  instances: number
  share: number
  version: string
  week: string
}

/**
 * Weekly share of a product's active instances on each of its most used versions: the instances
 * of (week, version) over the instances of the week, so an instance that upgraded mid-week counts
 * for both versions and shares may add up to a little more than 100%.
 */
async function adoption(product: string, filters: Filters): Promise<ShareRow[]> {
  const scoped: Filters = {...filters, product, version: undefined}
  const params = apiParams(scoped)
  const [versions, totals] = await Promise.all([
    report({...params, by: 'version', limit: TOP_VERSIONS}),
    activeRows('week', scoped),
  ])
  const perVersion = await Promise.all(
    versions
      .filter((v) => v.key !== null)
      .map(async (v) => {
        const weeks = await report({...params, by: 'week', version: versionLabel(v.key!, product)})
        const byWeek = new Map(weeks.map((w) => [w.key, w.instances]))
        // Every week with activity gets a point, 0% included: a version that is gone drops to zero.
        return totals
          .filter((t) => t.instances > 0)
          .map((t): ShareRow => {
            const instances = byWeek.get(t.period) ?? 0
            return {instances, share: instances / t.instances, version: versionLabel(v.key!, product), week: t.period}
          })
      }),
  )
  return perVersion.flat().sort((a, b) => a.week.localeCompare(b.week) || a.version.localeCompare(b.version))
}

/** Version keys may read "product@1.2.0": the filter and the legend want the version alone. */
const versionLabel = (key: string, product: string): string =>
  key.startsWith(`${product}@`) ? key.slice(product.length + 1) : key

export const versions: View = async (root, filters) => {
  const products = filters.product
    ? [filters.product]
    : (await report({...apiParams(filters, {version: false}), by: 'product', limit: 200}))
        .slice(0, TOP_PRODUCTS)
        .flatMap((r) => (r.key ? [r.key] : []))
  if (products.length === 0) {
    root.append(
      Object.assign(document.createElement('p'), {className: 'empty', textContent: 'No data for these filters.'}),
    )
    return
  }

  await Promise.all(
    products.map((product) =>
      addCard(
        root,
        `Version adoption: ${product}`,
        adoption(product, filters).then((rows) => ({
          columns: [
            {label: 'Week', value: (r: ShareRow) => r.week},
            {label: 'Version', value: (r: ShareRow) => r.version},
            {
              label: 'Active instances',
              numeric: true,
              text: (r: ShareRow) => formatInteger(r.instances),
              value: (r: ShareRow) => r.instances,
            },
            {
              label: 'Share of active instances',
              numeric: true,
              text: (r: ShareRow) => formatPercent(r.share),
              value: (r: ShareRow) => Math.round(r.share * 10_000) / 10_000,
            },
          ],
          description: `Share of ${product}'s active instances per week on each of its ${TOP_VERSIONS} most used versions.`,
          id: `versions-${product}`,
          plot: (w: number) =>
            multiLine(rows, {
              date: (r) => periodDate(r.week),
              series: (r) => r.version,
              value: (r) => r.share,
              width: w,
              yLabel: 'Share of active instances (%)',
              yPercent: true,
            }),
          rows,
          title: `Version adoption: ${product}`,
        })),
      ),
    ),
  )
}
