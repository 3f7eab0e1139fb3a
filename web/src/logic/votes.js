/**
 * Which vote to send when: held controls (pad, keyboard, gamepad) → publish decisions.
 *
 * Rules (issue + contract: votes expire 3 s after arrival at the vote node):
 * - while any control is held, its command is (re)sent at least every `resendMs` (1 s);
 * - a control that changes is re-sent at most every `minIntervalMs` (250 ms: below the
 *   gateway's default votes_per_second = 5);
 * - when the last control is released a single stop vote (0, 0) is sent;
 * - nothing is queued while disconnected: `send` returns false then, and after a reconnect only
 *   the CURRENT held command (if any) is sent again (`onConnected`).
 *
 * The class is clock- and transport-agnostic: the caller passes `now` (ms) and a `send`
 * function, and calls `tick(now)` periodically (e.g. every 100 ms).
 */
import { commandChanged, normaliseLimits } from './commands.js';

export const STOP = Object.freeze({ linear: 0, angular: 0 });

export class VoteScheduler {
  /**
   * @param {{send: (cmd: {linear: number, angular: number}) => boolean,
   *   resendMs?: number, minIntervalMs?: number}} opts - `send` publishes one vote and returns
   *   whether it went out (false while disconnected)
   */
  constructor({ send, resendMs = 1000, minIntervalMs = 250 }) {
    this.send = send;
    this.resendMs = resendMs;
    this.minIntervalMs = minIntervalMs;
    /** @type {Map<string, {command: {linear: number, angular: number}, since: number}>} */
    this.sources = new Map();
    this.lastSent = null;
    this.lastSentAt = -Infinity;
    this.pendingStop = false;
    this.limits = normaliseLimits();
  }

  /** The command of the most recently pressed held source, or null if none is held. */
  current() {
    let best = null;
    for (const s of this.sources.values()) if (!best || s.since >= best.since) best = s;
    return best ? best.command : null;
  }

  /**
   * Set or release one control source.
   *
   * @param {string} source - e.g. 'pad', 'keyboard', 'gamepad'
   * @param {{linear: number, angular: number}|null} command - null = released
   * @param {number} now - ms
   */
  set(source, command, now) {
    const had = this.sources.get(source);
    if (command === null) {
      if (!had) return;
      this.sources.delete(source);
      if (this.sources.size === 0) {
        this.pendingStop = true;
      }
    } else {
      this.sources.set(source, { command, since: had ? had.since : now });
      this.pendingStop = false;
    }
    this.tick(now);
  }

  /** Update the limits used to decide whether a proportional command changed. */
  setLimits(limits) {
    this.limits = normaliseLimits(limits);
  }

  /** Release everything (e.g. window blur); sends a stop if something was held. */
  releaseAll(now) {
    if (this.sources.size === 0) return;
    this.sources.clear();
    this.pendingStop = true;
    this.tick(now);
  }

  /** The connection (re)opened: forget what was sent and send the current command, if any. */
  onConnected(now) {
    this.lastSent = null;
    this.lastSentAt = -Infinity;
    this.pendingStop = false;
    this.tick(now);
  }

  /** The connection closed: a release while disconnected must not be replayed later. */
  onDisconnected() {
    this.pendingStop = false;
  }

  /**
   * Decide whether to publish now.
   *
   * @param {number} now - ms
   * @returns {{linear: number, angular: number}|null} the command sent, if any
   */
  tick(now) {
    const cmd = this.current();
    if (cmd === null) {
      if (this.pendingStop) {
        this.pendingStop = false;
        return this._send(STOP, now);
      }
      return null;
    }
    const elapsed = now - this.lastSentAt;
    const changed = commandChanged(this.lastSent, cmd, this.limits);
    if (elapsed >= this.resendMs || (changed && elapsed >= this.minIntervalMs)) {
      return this._send(cmd, now);
    }
    return null;
  }

  _send(cmd, now) {
    if (!this.send(cmd)) return null;
    this.lastSent = cmd;
    this.lastSentAt = now;
    return cmd;
  }
}
