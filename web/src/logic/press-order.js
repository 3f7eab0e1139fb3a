/**
 * "The latest press wins": held inputs (e.g. pointers on the pad) in press order (pure).
 */
export class PressOrder {
  constructor() {
    /** @type {Map<unknown, string>} key -> value, oldest press first */
    this.held = new Map();
  }

  /**
   * A key went down (again): it becomes the newest press.
   *
   * @param {unknown} key - e.g. a PointerEvent.pointerId
   * @param {string} value - e.g. a pad button name
   */
  press(key, value) {
    this.held.delete(key);
    this.held.set(key, value);
  }

  /**
   * A key went up.
   *
   * @returns {boolean} whether it was held
   */
  release(key) {
    return this.held.delete(key);
  }

  /**
   * Forget every press.
   *
   * @returns {boolean} whether anything was held
   */
  clear() {
    const had = this.held.size > 0;
    this.held.clear();
    return had;
  }

  /** @returns {string|null} the value of the newest press still held, or null */
  latest() {
    let value = null;
    for (const v of this.held.values()) value = v;
    return value;
  }

  /** @returns {Set<string>} the values of every held key */
  values() {
    return new Set(this.held.values());
  }
}
