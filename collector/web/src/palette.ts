/**
 * Okabe & Ito's colour-blind-safe palette (https://jfly.uni-koeln.de/color/), in an order that keeps
 * neighbours apart for all three common colour-vision deficiencies. Yellow comes last: on white it
 * is too faint for thin lines.
 */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000', '#F0E442']
export const PRIMARY = '#0072B2'
export const SECONDARY = '#E69F00'
export const FAILURE = '#D55E00'
/** For categories next to failures: vermillion first, orange (too close to it) last. */
export const FAILURE_FIRST = ['#D55E00', '#0072B2', '#009E73', '#CC79A7', '#56B4E9', '#000000', '#E69F00', '#F0E442']
