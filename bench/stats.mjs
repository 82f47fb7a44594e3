// Shared by the benchmarks: medians and p99 of a set of samples, rounded for reading.

/** `x` rounded to `digits` decimals. */
export function round(x, digits = 2) {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}

/** Count, median, p99, min and max of `samples`, rounded to `digits` decimals. */
export function quantiles(samples, digits = 2) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    n: sorted.length,
    median: round(at(0.5), digits),
    p99: round(at(0.99), digits),
    min: round(sorted[0], digits),
    max: round(sorted.at(-1), digits),
  };
}
