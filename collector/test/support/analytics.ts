/** A real analytics engine for a test's store: a DuckDB file in a temporary folder, removed on close. */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Store} from '../../src/store/store.js'

import {Analytics, type AnalyticsOptions} from '../../src/analytics/engine.js'

export interface TestAnalytics extends Analytics {
  /** Close the engine and remove its folder. */
  dispose(): Promise<void>
}

/** `minInstances` defaults to 1 here (tests with few instances); the serve default (3) is tested apart. */
export async function openAnalytics(store: Store, options: Partial<AnalyticsOptions> = {}): Promise<TestAnalytics> {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-'))
  const analytics = (await Analytics.open(store, {
    memoryLimit: '512MB',
    minInstances: 1,
    path: join(dir, 'analytics.duckdb'),
    threads: 2,
    ...options,
  })) as TestAnalytics
  analytics.dispose = async () => {
    await analytics.close()
    rmSync(dir, {force: true, recursive: true})
  }

  return analytics
}
