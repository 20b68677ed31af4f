const integer = new Intl.NumberFormat('en', {maximumFractionDigits: 0})
const percent = new Intl.NumberFormat('en', {maximumFractionDigits: 1, style: 'percent'})

export const formatInteger = (value: number): string => integer.format(value)
export const formatPercent = (value: number): string => percent.format(value)
export const formatMs = (value: null | number): string => (value === null ? '–' : `${integer.format(value)} ms`)

/** A report key for people: null becomes a named placeholder. */
export const label = (key: null | string, none = '(none)'): string => key ?? none
