/**
 * Held controls → vote sources (pure): pad and keyboard buttons, gamepad sticks.
 *
 * The page's controls report WHAT is held (a button name, the gamepads); this module turns that
 * into commands with the current speed limits and hands them to a VoteScheduler, which decides
 * when to publish and lets the most recently pressed source win. When the limits change (a
 * crowd/status with other max_linear/max_angular), the held buttons are re-applied with the new
 * limits; the gamepad follows on its next poll.
 */
import { buttonCommand, normaliseLimits, stickCommand } from './commands.js';

export class Controls {
  /**
   * @param {{votes: {set: Function, setLimits: Function, releaseAll: Function}}} opts -
   *   `votes` is a VoteScheduler (or anything with its set/setLimits/releaseAll)
   */
  constructor({ votes }) {
    this.votes = votes;
    this.limits = normaliseLimits();
    /** @type {Map<string, string>} source -> held button name */
    this.buttons = new Map();
  }

  /**
   * A button source changed.
   *
   * @param {string} source - e.g. 'pad', 'keyboard'
   * @param {string|null} name - a BUTTONS[].name, or null = released
   * @param {number} now - ms
   * @throws {RangeError} for an unknown button name (nothing changes then)
   */
  setButton(source, name, now) {
    const command = name === null ? null : buttonCommand(name, this.limits);
    if (name === null) this.buttons.delete(source);
    else this.buttons.set(source, name);
    this.votes.set(source, command, now);
  }

  /**
   * The gamepads were polled.
   *
   * @param {Iterable<object|null>} pads - navigator.getGamepads()
   * @param {number} now - ms
   */
  setGamepads(pads, now) {
    this.votes.set('gamepad', stickCommand(pads, this.limits), now);
  }

  /**
   * New speed limits (m/s, rad/s); held buttons are re-sent with them.
   *
   * @param {{maxLinear: number, maxAngular: number}} limits
   * @param {number} now - ms
   * @returns {boolean} whether the limits changed
   */
  setLimits(limits, now) {
    const next = normaliseLimits(limits);
    if (next.maxLinear === this.limits.maxLinear && next.maxAngular === this.limits.maxAngular) {
      return false;
    }
    this.limits = next;
    this.votes.setLimits(next);
    for (const [source, name] of this.buttons) {
      this.votes.set(source, buttonCommand(name, next), now);
    }
    return true;
  }

  /** Release every source (page hidden); one stop vote goes out if anything was held. */
  releaseAll(now) {
    this.buttons.clear();
    this.votes.releaseAll(now);
  }
}
