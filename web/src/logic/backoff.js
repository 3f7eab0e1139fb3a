/**
 * Reconnect backoff: exponential from `initialMs` doubling up to `maxMs`.
 *
 * A connection that stayed up at least `stableMs` resets the sequence, so a server that accepts
 * and immediately drops (e.g. a full connection limit) is not hammered at the initial delay.
 */
export class Backoff {
  /**
   * @param {{initialMs?: number, maxMs?: number, factor?: number, stableMs?: number}} [opts]
   * @throws {RangeError} for non-positive delays or a factor < 1
   */
  constructor({ initialMs = 500, maxMs = 5000, factor = 2, stableMs = 3000 } = {}) {
    if (!(initialMs > 0) || !(maxMs >= initialMs) || !(factor >= 1)) {
      throw new RangeError('backoff needs 0 < initialMs <= maxMs and factor >= 1');
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.factor = factor;
    this.stableMs = stableMs;
    this.attempt = 0;
  }

  /**
   * Delay before the next connection attempt; advances the sequence.
   *
   * @param {number} [upMs] - how long the connection that just closed was open (0 if it never
   *   opened); at least `stableMs` resets the sequence first
   * @returns {number} ms
   */
  next(upMs = 0) {
    if (upMs >= this.stableMs) this.attempt = 0;
    const delay = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    if (delay < this.maxMs) this.attempt += 1;
    return delay;
  }

  /** Start the sequence over. */
  reset() {
    this.attempt = 0;
  }
}
