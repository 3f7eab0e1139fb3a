/**
 * Pure view model of the crowd/status JSON (contract: docs/ARCHITECTURE.md, crowd/status).
 */
import {
  BIN_NAMES, DEFAULT_LIMITS, SECTOR_NAMES, STOP_NAME, normaliseLimits, sectorOf,
} from './commands.js';

/** Normalised magnitude below which a command counts as "stop" (shared conventions). */
export const STOP_MAGNITUDE = 0.2;

const finite = (x, fallback = 0) => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

/**
 * Parse the `data` string of a crowd/status message.
 *
 * @param {string} data - JSON text
 * @returns {object|null} the parsed object, or null if it is not a JSON object
 */
export function parseStatus(data) {
  try {
    const obj = JSON.parse(data);
    return obj && typeof obj === 'object' && !Array.isArray(obj) ? obj : null;
  } catch {
    return null;
  }
}

/**
 * Direction bin of a command, per the shared conventions: in (v/max_linear, w/max_angular)
 * space, angle = atan2(w_norm, v_norm), 45° sectors centred on forward (0°), forward_left (45°),
 * left (90°), back_right (135°), back (180°), back_left (−135°), right (−90°),
 * forward_right (−45°); normalised magnitude < 0.2 → stop.
 *
 * @param {number} linear - m/s
 * @param {number} angular - rad/s
 * @param {{maxLinear: number, maxAngular: number}} limits
 * @returns {string} one of BIN_NAMES
 */
export function commandBin(linear, angular, limits) {
  const { maxLinear, maxAngular } = normaliseLimits(limits);
  const v = finite(linear) / maxLinear;
  const w = finite(angular) / maxAngular;
  if (Math.hypot(v, w) < STOP_MAGNITUDE) return STOP_NAME;
  return SECTOR_NAMES[sectorOf(Math.atan2(w, v))];
}

/**
 * Screen arrow of a command: where the pad button of the same bin sits.
 *
 * Up on screen is forward; left on screen is the robot's left. Reversing with angular < 0 is
 * back_left (pad bottom-left), so the screen x of a reversing command is mirrored.
 * Length = normalised magnitude hypot(v/max_linear, w/max_angular), clamped to [0, 1].
 *
 * @returns {{dx: number, dy: number, length: number, angleDeg: number}} dx right-positive,
 *   dy up-positive, both in units of the arrow's full length; angleDeg clockwise from up
 *   (CSS rotate convention)
 */
export function commandArrow(linear, angular, limits) {
  const { maxLinear, maxAngular } = normaliseLimits(limits);
  const v = finite(linear) / maxLinear;
  const w = finite(angular) / maxAngular;
  const mag = Math.hypot(v, w);
  const length = Math.min(1, mag);
  if (mag === 0) return { dx: 0, dy: 0, length: 0, angleDeg: 0 };
  const sx = (v < 0 ? w : -w) / mag;
  const sy = v / mag;
  const angleDeg = (Math.atan2(sx, sy) * 180) / Math.PI + 0;
  return { dx: sx * length, dy: sy * length, length, angleDeg };
}

/**
 * Build the widget view model from a parsed status object; tolerant of missing keys.
 *
 * @param {object|null} status - parsed crowd/status JSON
 * @returns {{voters: number, bots: number, people: number,
 *   bars: Array<{name: string, count: number, fraction: number}>,
 *   command: {linear: number, angular: number}, bin: string,
 *   arrow: ReturnType<typeof commandArrow>, operator: boolean, strategy: string,
 *   limits: {maxLinear: number, maxAngular: number}, stamp: number|null,
 *   falls: number|null, robotOffline: boolean, paused: boolean}} `paused`: the operator has
 *   paused the crowd (the robot is stopped; crowd/status `paused`); `falls`: the sim's fall
 *   count since the
 *   driver started (crowd/status `falls`, issue 11), null without a sim or when it is not a
 *   non-negative integer; `robotOffline`: a relay gateway says the robot is unreachable
 *   (`"robot": "offline"`, docs/DEPLOY.md); its votes are dropped until the robot is back
 */
export function statusView(status) {
  const s = status ?? {};
  const limits = normaliseLimits({ maxLinear: s.max_linear, maxAngular: s.max_angular });
  const hist = s.histogram && typeof s.histogram === 'object' ? s.histogram : {};
  const counts = BIN_NAMES.map((name) => Math.max(0, Math.trunc(finite(hist[name]))));
  const total = counts.reduce((a, b) => a + b, 0);
  const voters = Math.max(0, Math.trunc(finite(s.voters, total)));
  // labelled bots among the voters (the gateway's authenticated bots); the rest are people
  const bots = Math.min(voters, Math.max(0, Math.trunc(finite(s.bots))));
  const denom = Math.max(1, voters, ...counts);
  const bars = BIN_NAMES.map((name, i) => ({ name, count: counts[i], fraction: counts[i] / denom }));
  const linear = finite(s.command?.linear);
  const angular = finite(s.command?.angular);
  return {
    voters,
    bots,
    people: voters - bots,
    bars,
    command: { linear, angular },
    bin: commandBin(linear, angular, limits),
    arrow: commandArrow(linear, angular, limits),
    operator: s.operator === true,
    strategy: typeof s.strategy === 'string' ? s.strategy : '',
    limits,
    stamp: typeof s.stamp === 'number' && Number.isFinite(s.stamp) ? s.stamp : null,
    falls: Number.isSafeInteger(s.falls) && s.falls >= 0 ? s.falls : null,
    robotOffline: s.robot === 'offline',
    paused: s.paused === true,
  };
}

export { DEFAULT_LIMITS };
