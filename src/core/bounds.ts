import { InvalidOptionError, showValue } from './errors.js';

/** The longest delay a Node timer takes (2^31-1 ms, about 24.8 days); Node fires a longer one after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** `a positive integer <= 10`, `a non-negative integer <= 10` or `an integer from 5 to 10`. */
function rangeText(min: number, max: number): string {
  if (min === 0) return `a non-negative integer <= ${max}`;
  if (min === 1) return `a positive integer <= ${max}`;
  return `an integer from ${min} to ${max}`;
}

/**
 * Validates an integer option from `min` to `max` (both included) and returns it. `prefix` goes before the message
 * (`check "db": `), `unit` after the range (` (ms)`).
 * @throws InvalidOptionError `Expected \`<option>\` to be a positive integer <= <max>, got \`<value>\``.
 */
export function integerOption(option: string, value: unknown, min: number, max: number, prefix = '', unit = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(
      `${prefix}Expected \`${option}\` to be ${rangeText(min, max)}${unit}, got \`${showValue(value)}\``,
    );
  }
  return value;
}

/**
 * Validates a duration option in ms that a timer takes: an integer from `min` (default 1) to {@link MAX_TIMER_MS}.
 * @throws InvalidOptionError `Expected \`<option>\` to be a positive integer <= 2147483647 (ms), got \`<value>\``.
 */
export function timerOption(option: string, value: unknown, min = 1, prefix = ''): number {
  return integerOption(option, value, min, MAX_TIMER_MS, prefix, ' (ms)');
}
