import {arch, platform, release} from 'node:os'

import {ciVendor} from '../ci.js'
import {codingAgent} from './agent.js'

export interface Platform {
  /** The coding agent that ran the command (its name only), or null. */
  agent: null | string
  arch: string
  ci: null | string
  node: string
  os: string
  os_release: string
  tty: boolean
}

/** Where the command runs: OS, architecture, Node.js, CI vendor, coding agent (never any environment value). */
export async function platformProperties(env: NodeJS.ProcessEnv = process.env): Promise<Platform> {
  return {
    agent: codingAgent(env),
    arch: arch(),
    ci: await ciVendor(env),
    node: process.versions.node,
    os: platform(),
    os_release: release(),
    tty: Boolean(process.stdout.isTTY),
  }
}
