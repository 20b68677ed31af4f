// The plugin's own lines on stderr (the first-run notice, debug output) must never break the host
// command. A stderr that cannot be written (a full disk, a closed pipe) reports it as an 'error'
// event, which, with no listener, ends the process: one listener, added before the first such line,
// lets those writes fail quietly. It stays for the process (an 'error' comes after the write returns),
// so the host's own later writes to a broken stderr fail quietly too, instead of ending it: only on a
// first run or in debug mode, the only times the plugin writes.
let guarded = false

/** Writes `text` to stderr, or nothing if stderr cannot be written. */
export function writeStderr(text: string): void {
  if (!guarded) {
    guarded = true
    process.stderr.on('error', () => {})
  }

  try {
    process.stderr.write(text)
  } catch {
    // Already destroyed: nothing to say it on.
  }
}
