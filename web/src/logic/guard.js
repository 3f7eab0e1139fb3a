/**
 * Pure view model of the cliff and obstacle guard's state (crowd/status `guard`, issue 14).
 *
 * The guard sits between the vote node and the driver; crowd/status carries what it is doing:
 * "cliff" (no floor ahead: forward refused), "stale" (a range sensor is silent: forward
 * refused), "obstacle" (something ahead: forward slowed or stopped) or null (nothing limited,
 * or no guard). Reversing and turning always pass, so each banner says how to get going again.
 */

/** Banner per guard state: short text for the camera overlay and a hint. */
export const GUARD_BANNERS = Object.freeze({
  cliff: Object.freeze({
    text: 'Stopped at an edge',
    hint: 'forward is blocked — drive back or turn away',
  }),
  stale: Object.freeze({
    text: 'Safety sensor silent',
    hint: 'forward is blocked until the range sensors report again — back or turn only',
  }),
  obstacle: Object.freeze({
    text: 'Obstacle ahead',
    hint: 'forward is slowed or stopped — turn or drive back',
  }),
});

/**
 * Return the banner for a parsed crowd/status object, or null when nothing is limited.
 *
 * @param {object|null} status - parsed crowd/status JSON
 * @returns {{state: string, text: string, hint: string}|null} null for a missing, null or
 *   unknown `guard` value (never shows text the robot did not send as one of the known states)
 */
export function guardBanner(status) {
  const state = status && typeof status === 'object' ? status.guard : null;
  if (typeof state !== 'string' || !Object.hasOwn(GUARD_BANNERS, state)) return null;
  return { state, ...GUARD_BANNERS[state] };
}
