/** One colour per model in the charts that compare versions (production first). */
export const SERIES_COLORS = ['var(--color-primary)', '#d97706', '#059669', '#7c3aed'];
