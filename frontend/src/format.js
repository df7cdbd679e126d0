// Numbers for people: significant digits, no float noise ("1008.24" not
// "1008.2431261101"), exponents only for very large or small magnitudes.

export function formatNumber(value, digits = 6) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e7 || magnitude < 1e-4) return value.toExponential(digits - 1).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(digits)));
}

// A value with its unit (BUNIT), if the header gives one.
export function withUnit(text, unit) {
  return unit ? `${text} ${unit}` : text;
}
