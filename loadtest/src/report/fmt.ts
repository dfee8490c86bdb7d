// Number formatting shared by the report's sections.
export const f = (v: number | null | undefined, unit = '', digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${v.toLocaleString('en-US', { maximumFractionDigits: digits })}${unit}`;
export const x = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
