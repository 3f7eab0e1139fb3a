/**
 * Pure control logic: pad buttons, keyboard and gamepad → vote commands.
 *
 * A command is `{linear, angular}` in SI units (m/s, rad/s, REP 103: +linear forward,
 * +angular counter-clockwise = turning left). The per-button commands and the direction bins
 * follow the shared conventions (web/README.md, docs/ARCHITECTURE.md).
 *
 * The direction names exist once on the page: BIN_NAMES (checked by a pytest against the Python
 * definition, kropbot_common.directions.HISTOGRAM_KEYS). BUTTONS holds the pad's per-direction
 * data in pad order, and SECTOR_NAMES is derived from it; a vitest test checks that both name
 * exactly the BIN_NAMES.
 */

/** Fallback limits until the first crowd/status arrives (robot.yaml `vote` defaults). */
export const DEFAULT_LIMITS = Object.freeze({ maxLinear: 0.3, maxAngular: 1.5 });

/** Scale of the diagonal buttons (both components), per the shared conventions. */
export const DIAGONAL_SCALE = 0.7;

/**
 * The 8 directions + stop as (linear, angular) unit factors, in pad order (row-major 3x3).
 * back_left reverses with angular < 0 (car convention, KropBot motor table), back_right with > 0.
 */
export const BUTTONS = Object.freeze([
  { name: 'forward_left', label: 'forward left', glyph: '↖', v: DIAGONAL_SCALE, w: DIAGONAL_SCALE },
  { name: 'forward', label: 'forward', glyph: '↑', v: 1, w: 0 },
  { name: 'forward_right', label: 'forward right', glyph: '↗', v: DIAGONAL_SCALE, w: -DIAGONAL_SCALE },
  { name: 'left', label: 'left', glyph: '↺', v: 0, w: 1 },
  { name: 'stop', label: 'stop', glyph: '■', v: 0, w: 0 },
  { name: 'right', label: 'right', glyph: '↻', v: 0, w: -1 },
  { name: 'back_left', label: 'back left', glyph: '↙', v: -DIAGONAL_SCALE, w: -DIAGONAL_SCALE },
  { name: 'back', label: 'back', glyph: '↓', v: -1, w: 0 },
  { name: 'back_right', label: 'back right', glyph: '↘', v: -DIAGONAL_SCALE, w: DIAGONAL_SCALE },
]);

const BY_NAME = new Map(BUTTONS.map((b) => [b.name, b]));

/**
 * The page's one list of direction names: the histogram bins of crowd/status in display order
 * (the 8 directions then stop), the same as kropbot_common.directions.HISTOGRAM_KEYS.
 */
export const BIN_NAMES = Object.freeze([
  'forward', 'forward_left', 'left', 'back_left', 'back', 'back_right', 'right', 'forward_right',
  'stop',
]);

/** Name of the "stop" direction (BIN_NAMES' last entry). */
export const STOP_NAME = BIN_NAMES[BIN_NAMES.length - 1];

/**
 * Index k of the 45° sector containing angle `a`: sectors are centred on k·45°, counter-clockwise
 * from forward in the plane of normalised (linear, angular); the same rule as the vote node's
 * direction_bin (k = floor((a + 22.5°) / 45°) mod 8).
 *
 * @param {number} angleRad - atan2(w_norm, v_norm), rad
 * @returns {number} 0..7
 */
export function sectorOf(angleRad) {
  const k = Math.floor(angleRad / (Math.PI / 4) + 0.5);
  return ((k % 8) + 8) % 8;
}

/**
 * Direction names by sector index (0 = forward, +45° per step), derived from the BUTTONS unit
 * factors: the order of kropbot_common.directions.DIRECTIONS without stop.
 */
export const SECTOR_NAMES = Object.freeze(
  BUTTONS.filter((b) => b.v !== 0 || b.w !== 0)
    .map((b) => ({ name: b.name, k: sectorOf(Math.atan2(b.w, b.v)) }))
    .sort((a, b) => a.k - b.k)
    .map((b) => b.name),
);

/**
 * Sanitise speed limits: positive finite numbers, else the defaults.
 *
 * @param {{maxLinear?: number, maxAngular?: number}} [limits]
 * @returns {{maxLinear: number, maxAngular: number}}
 */
export function normaliseLimits(limits) {
  const ok = (x) => typeof x === 'number' && Number.isFinite(x) && x > 0;
  return {
    maxLinear: ok(limits?.maxLinear) ? limits.maxLinear : DEFAULT_LIMITS.maxLinear,
    maxAngular: ok(limits?.maxAngular) ? limits.maxAngular : DEFAULT_LIMITS.maxAngular,
  };
}

/**
 * The vote command of one pad button.
 *
 * @param {string} name - one of BUTTONS[].name
 * @param {{maxLinear: number, maxAngular: number}} [limits] - m/s, rad/s
 * @returns {{linear: number, angular: number}} m/s, rad/s
 * @throws {RangeError} for an unknown button name
 */
export function buttonCommand(name, limits) {
  const b = BY_NAME.get(name);
  if (!b) throw new RangeError(`unknown button: ${name}`);
  const { maxLinear, maxAngular } = normaliseLimits(limits);
  // `+ 0` turns -0 into 0 so JSON shows 0.
  return { linear: b.v * maxLinear + 0, angular: b.w * maxAngular + 0 };
}

/** Keyboard keys (KeyboardEvent.key, lower-cased for letters) → intent. */
const KEY_INTENTS = new Map([
  ['arrowup', 'up'], ['w', 'up'],
  ['arrowdown', 'down'], ['s', 'down'],
  ['arrowleft', 'left'], ['a', 'left'],
  ['arrowright', 'right'], ['d', 'right'],
  [' ', 'stop'], ['spacebar', 'stop'],
]);

/**
 * Map a KeyboardEvent.key to a driving intent.
 *
 * @param {string} key
 * @returns {'up'|'down'|'left'|'right'|'stop'|null} null for keys the page ignores
 */
export function keyIntent(key) {
  if (typeof key !== 'string') return null;
  return KEY_INTENTS.get(key.toLowerCase()) ?? null;
}

/**
 * Combine the held intents into one pad button name.
 *
 * The four keys address the 3x3 pad grid of BUTTONS (row-major): up/down pick the top/bottom
 * row, left/right the left/right column, so two keys give the diagonal button under them
 * (down+left is back_left) and the car convention comes from BUTTONS alone. Opposite keys
 * cancel. Stop (space) wins over everything. Nothing held (or everything cancelled) → null,
 * meaning "not driving" (the centre of the grid is the explicit stop button).
 *
 * @param {Iterable<string>} intents - held intents from keyIntent()
 * @returns {string|null} a BUTTONS[].name or null
 */
export function intentsToButton(intents) {
  const held = new Set(intents);
  if (held.has('stop')) return 'stop';
  const v = (held.has('up') ? 1 : 0) - (held.has('down') ? 1 : 0);
  const turn = (held.has('left') ? 1 : 0) - (held.has('right') ? 1 : 0);
  if (v === 0 && turn === 0) return null;
  return BUTTONS[(1 - v) * 3 + (1 - turn)].name;
}

/** Default radial deadzone of the gamepad stick (fraction of full deflection). */
export const GAMEPAD_DEADZONE = 0.15;

/**
 * Proportional command from the left stick of a standard gamepad.
 *
 * linear = −axis1·max_linear, angular = −axis0·max_angular (stick up = forward, stick left =
 * turn left); axes are clamped to [−1, 1]. Inside the radial deadzone → null (released).
 *
 * @param {ArrayLike<number>} axes - Gamepad.axes (axis 0 = left stick x, axis 1 = left stick y)
 * @param {{maxLinear: number, maxAngular: number}} [limits]
 * @param {number} [deadzone] - radial deadzone in [0, 1)
 * @returns {{linear: number, angular: number}|null}
 */
export function gamepadCommand(axes, limits, deadzone = GAMEPAD_DEADZONE) {
  if (!axes || axes.length < 2) return null;
  const clamp = (x) => (Number.isFinite(x) ? Math.max(-1, Math.min(1, x)) : 0);
  const x = clamp(axes[0]);
  const y = clamp(axes[1]);
  if (Math.hypot(x, y) < deadzone) return null;
  const { maxLinear, maxAngular } = normaliseLimits(limits);
  return { linear: -y * maxLinear + 0, angular: -x * maxAngular + 0 };
}

/**
 * The command of the first connected gamepad whose left stick is outside the deadzone.
 *
 * @param {Iterable<{connected: boolean, axes: ArrayLike<number>}|null>} pads -
 *   navigator.getGamepads() (entries may be null)
 * @param {{maxLinear: number, maxAngular: number}} [limits]
 * @returns {{linear: number, angular: number}|null} null when no stick is deflected
 */
export function stickCommand(pads, limits) {
  for (const gp of pads ?? []) {
    if (!gp || !gp.connected) continue;
    const cmd = gamepadCommand(gp.axes, limits);
    if (cmd) return cmd;
  }
  return null;
}

/**
 * Whether two commands differ by more than `tolerance` of the limits (to rate-limit resends).
 *
 * @param {{linear: number, angular: number}|null} a
 * @param {{linear: number, angular: number}|null} b
 * @param {{maxLinear: number, maxAngular: number}} limits
 * @param {number} [tolerance] - fraction of each limit
 * @returns {boolean}
 */
export function commandChanged(a, b, limits, tolerance = 0.02) {
  if (a === null || b === null) return a !== b;
  const { maxLinear, maxAngular } = normaliseLimits(limits);
  return Math.abs(a.linear - b.linear) > tolerance * maxLinear
    || Math.abs(a.angular - b.angular) > tolerance * maxAngular;
}

/**
 * A geometry_msgs/msg/TwistStamped vote message (roslibjs JSON form).
 *
 * header.frame_id is the voter id: empty behind KropBot's gateway (it assigns the voter identity
 * per connection and stamps the vote), the page's per-tab id in the stock rosbridge mode.
 *
 * @param {{linear: number, angular: number}} command - m/s, rad/s
 * @param {number} nowMs - wall clock in ms (Date.now())
 * @param {string} [voterId] - header.frame_id ('' = let the gateway assign it)
 * @returns {object}
 */
export function voteMessage(command, nowMs, voterId = '') {
  const sec = Math.floor(nowMs / 1000);
  const nanosec = Math.round((nowMs - sec * 1000) * 1e6);
  return {
    header: { stamp: { sec, nanosec }, frame_id: voterId },
    twist: {
      linear: { x: command.linear, y: 0, z: 0 },
      angular: { x: 0, y: 0, z: command.angular },
    },
  };
}
