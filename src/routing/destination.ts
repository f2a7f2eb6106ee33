/**
 * Destinations are matched in one canonical form: international digits without a leading "+"
 * or "00" (`+447700900123`, `00447700900123` and `447700900123` are the same number). Only one
 * of the two is removed, once. Anything that is not then 1..20 digits cannot be routed.
 */
export function normalizeDestination(address: string): string | undefined {
  const digits = address.startsWith('+') ? address.slice(1) : address.startsWith('00') ? address.slice(2) : address;
  return /^\d{1,20}$/.test(digits) ? digits : undefined;
}
