/**
 * Pure view model of the crowd modes (vote, anarchy, democracy, queue) from crowd/status.
 *
 * The keys read here are the crowd-mode extension of crowd/status (src/kropbot_vote/README.md,
 * "Crowd modes"): `mode`, `mode_source`, the section of the mode in force (`anarchy`,
 * `democracy` or `queue`) and `switch` (the crowd's anarchy/democracy meter). A status without
 * them (a vote node without modes) reads as `vote` mode. Nothing here touches the DOM.
 *
 * Voters appear in the status only as tokens (kropbot_common/voter_token.py): 8 hex digits of
 * SHA-256('kropbot-voter-token:v1:' + voter id). The page finds itself by its own token: behind
 * the crowd gateway, which knows the connection's voter id, from the key `you` of the gateway's
 * per-connection topic crowd/you; in the stock rosbridge mode, where the page chose its id, by
 * computing it (voterToken).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { BIN_NAMES, BUTTONS } from './commands.js';

/** The modes, values of the vote node's `mode` parameter. */
export const MODE_NAMES = Object.freeze(['vote', 'anarchy', 'democracy', 'queue']);

/** Modes the crowd can vote for (meter order, left to right). */
export const SWITCH_MODES = Object.freeze(['anarchy', 'democracy']);

/** Domain-separation prefix of a voter token (kropbot_common.voter_token.PREFIX). */
export const TOKEN_PREFIX = 'kropbot-voter-token:v1:';

/** How often the page re-sends its mode vote (ms); a mode vote lives mode_vote_timeout (60 s). */
export const MODE_VOTE_RESEND_MS = 20000;

const LABELS = Object.fromEntries(BUTTONS.map((b) => [b.name, b.label]));
const TOKEN_RE = /^[0-9a-f]{8}$/;

const num = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const count = (x) => Math.max(0, Math.trunc(num(x) ?? 0));
/** A countdown `s` seconds (as sent) minus the `elapsed` seconds since; null stays null. */
const left = (s, elapsed) => (num(s) === null ? null : Math.max(0, s - elapsed));

/**
 * The token of a voter id: the first 8 hex digits of SHA-256(TOKEN_PREFIX + id), UTF-8.
 *
 * @param {string} voterId
 * @returns {string} 8 lower-case hex digits
 */
export function voterToken(voterId) {
  return bytesToHex(sha256(utf8ToBytes(TOKEN_PREFIX + voterId))).slice(0, 8);
}

/**
 * This client's token: the gateway's `you` key if it sent one, else the client's own.
 *
 * @param {object|null} youMessage - parsed crowd/you of this connection ({"you": token, ...})
 * @param {string|null} [clientToken] - voterToken(tab id) in the stock rosbridge mode
 * @returns {string|null}
 */
export function ownToken(youMessage, clientToken = null) {
  const you = youMessage?.you;
  if (typeof you === 'string' && TOKEN_RE.test(you)) return you;
  return typeof clientToken === 'string' && TOKEN_RE.test(clientToken) ? clientToken : null;
}

/**
 * Format a duration as m:ss (h:mm:ss from an hour), rounding up to whole seconds.
 *
 * @param {number} seconds
 * @returns {string} e.g. "1:20"; "0:00" for anything not positive or not finite
 */
export function formatDuration(seconds) {
  const s = Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds - 1e-9) : 0;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function democracyView(d, elapsed) {
  const tally = d.tally && typeof d.tally === 'object' ? d.tally : {};
  const counts = BIN_NAMES.map((name) => count(tally[name]));
  const votes = count(d.votes ?? counts.reduce((a, b) => a + b, 0));
  const denom = Math.max(1, votes, ...counts);
  const name = (x) => (BIN_NAMES.includes(x) ? x : 'stop');
  const timeLeft = left(d.time_left, elapsed) ?? 0;
  return {
    timeLeft,
    votes,
    leading: name(d.leading),
    executing: name(d.executing),
    bars: BIN_NAMES.map((n, i) => ({ name: n, count: counts[i], fraction: counts[i] / denom })),
    text: `next decision in ${timeLeft.toFixed(1)} s: ${LABELS[name(d.leading)]} leads `
      + `(${votes} ${votes === 1 ? 'vote' : 'votes'}); now executing ${LABELS[name(d.executing)]}`,
  };
}

function queueView(q, token, elapsed) {
  const waiting = Array.isArray(q.waiting) ? q.waiting.filter((t) => typeof t === 'string') : [];
  const length = Math.max(count(q.length), waiting.length);
  const turnDuration = num(q.turn_duration) ?? 30;
  const turnLeft = left(q.turn_left, elapsed);
  const idleLeft = left(q.idle_left, elapsed);
  const driver = typeof q.driver === 'string' ? q.driver : null;
  // The current turn ends at the latest when turn_left runs out, sooner if its driver idles.
  const current = driver === null ? 0 : Math.min(turnLeft ?? turnDuration, idleLeft ?? Infinity);
  const view = {
    role: 'unknown', position: null, length, driverPresent: driver !== null, turnLeft, idleLeft,
    wait: null, waitText: '', listed: waiting.length,
  };
  if (token !== null && driver === token) {
    view.role = 'driver';
    view.position = 0;
    view.text = `your turn: ${formatDuration(turnLeft ?? 0)} left`
      + (idleLeft !== null ? ` (hold a direction within ${Math.ceil(idleLeft)} s or it passes on)`
        : '');
    return view;
  }
  const index = token === null ? -1 : waiting.indexOf(token);
  if (index >= 0) {
    view.role = 'waiting';
    view.position = index + 1;
    view.wait = current + index * turnDuration;
    view.waitText = formatDuration(view.wait);
    view.text = `your turn in ${view.waitText} (position ${view.position} of ${length})`;
    return view;
  }
  const who = driver === null ? 'nobody is driving'
    : `a driver has ${formatDuration(turnLeft ?? 0)} left`;
  if (token === null) {
    view.text = `queue: ${length} waiting, ${who}`;
    return view;
  }
  view.role = length > waiting.length ? 'unlisted' : 'out';
  view.text = `queue: ${length} waiting, ${who}; press a direction to join`
    + (view.role === 'unlisted' ? ` (only the first ${waiting.length} are listed)` : '');
  return view;
}

function meterView(sw, mode, elapsed) {
  const anarchy = count(sw.anarchy);
  const democracy = count(sw.democracy);
  const total = anarchy + democracy;
  const threshold = num(sw.threshold) ?? 0.75;
  const cooldownLeft = left(sw.cooldown_left, elapsed) ?? 0;
  const active = sw.active === true && SWITCH_MODES.includes(mode);
  let text = `${anarchy} anarchy · ${democracy} democracy; `
    + `a switch needs ${Math.round(threshold * 100)} % of the mode votes`;
  if (!active) text += ' (the operator has set this mode)';
  else if (cooldownLeft > 0) text += `, possible in ${formatDuration(cooldownLeft)}`;
  return {
    anarchy,
    democracy,
    threshold,
    cooldownLeft,
    active,
    // democracy's share of the mode votes: the meter fills from the right (democracy's end)
    fraction: total > 0 ? democracy / total : null,
    // where the share must go for a switch, from the left: in anarchy democracy needs
    // `threshold` (fill reaching 1 − threshold), in democracy anarchy does (fill down to it)
    mark: mode === 'democracy' ? threshold : 1 - threshold,
    text,
  };
}

/**
 * Build the crowd-mode view model.
 *
 * @param {object|null} status - parsed crowd/status JSON
 * @param {{token?: string|null, elapsed?: number}} [opts] - token: this client's voter token
 *   (ownToken); elapsed: seconds since the status arrived, taken off every countdown
 * @returns {{mode: string, source: string, title: string, detail: string,
 *   anarchy: {driving: boolean}|null, democracy: object|null, queue: object|null,
 *   meter: object|null, pad: 'drive'|'join'|'wait'}}
 *   pad: what the direction pad does now — 'drive' (it steers or votes), 'join' (a press joins
 *   the queue), 'wait' (in the queue, not this client's turn: presses change nothing)
 */
export function modesView(status, { token = null, elapsed = 0 } = {}) {
  const s = status ?? {};
  const mode = MODE_NAMES.includes(s.mode) ? s.mode : 'vote';
  const source = s.mode_source === 'crowd' ? 'crowd' : 'operator';
  const el = num(elapsed) !== null && elapsed > 0 ? elapsed : 0;
  const section = s[mode] && typeof s[mode] === 'object' ? s[mode] : {};
  const view = {
    mode, source, title: '', detail: '', anarchy: null, democracy: null, queue: null,
    meter: s.switch && typeof s.switch === 'object' && s.switch.enabled === true
      ? meterView(s.switch, mode, el) : null,
    pad: 'drive',
  };
  const by = source === 'crowd' ? ' (chosen by the crowd)' : '';
  if (mode === 'vote') {
    const strategy = typeof s.strategy === 'string' ? s.strategy : 'mean';
    view.title = 'vote';
    view.detail = `everyone's votes are combined (${strategy}); hold a direction to vote`;
  } else if (mode === 'anarchy') {
    const driving = token !== null && section.driver === token;
    view.anarchy = { driving };
    view.title = `anarchy${by}`;
    view.detail = driving ? 'your input is driving' : 'the newest input drives';
  } else if (mode === 'democracy') {
    view.democracy = democracyView(section, el);
    view.title = `democracy${by}`;
    view.detail = view.democracy.text;
  } else {
    view.queue = queueView(section, token, el);
    view.title = 'queue';
    view.detail = view.queue.text;
    view.pad = { driver: 'drive', waiting: 'wait', out: 'join', unlisted: 'join' }[
      view.queue.role] ?? 'drive'; // unknown token: the pad stays usable
  }
  return view;
}

/**
 * A crowd/mode_vote message (std_msgs/msg/String): JSON {"voter", "mode"}.
 *
 * @param {string} mode - 'anarchy', 'democracy' or '' (withdraw the mode vote)
 * @param {string} [voterId] - '' behind the gateway (it writes the connection's id), the tab's
 *   id in the stock rosbridge mode
 * @returns {{data: string}}
 * @throws {RangeError} for another mode
 */
export function modeVoteMessage(mode, voterId = '') {
  if (mode !== '' && !SWITCH_MODES.includes(mode)) throw new RangeError(`unknown mode: ${mode}`);
  return { data: JSON.stringify({ voter: voterId, mode }) };
}

/**
 * When to send the page's mode vote: at once when chosen, then every MODE_VOTE_RESEND_MS while
 * connected (a mode vote expires on the robot), again after a reconnect.
 */
export class ModeVoter {
  /**
   * @param {{send: (mode: string) => void, resendMs?: number}} opts
   */
  constructor({ send, resendMs = MODE_VOTE_RESEND_MS }) {
    this.send = send;
    this.resendMs = resendMs;
    this.choice = null;
    this.connected = true;
    this.lastSent = -Infinity;
  }

  /** Choose `mode` ('anarchy' | 'democracy', or null to withdraw) at `nowMs`. */
  choose(mode, nowMs) {
    if (mode !== null && !SWITCH_MODES.includes(mode)) throw new RangeError(`unknown mode: ${mode}`);
    if (mode === this.choice) return;
    this.choice = mode;
    this.#emit(nowMs);
  }

  /** Re-send the choice if it is due. */
  tick(nowMs) {
    if (this.choice !== null && nowMs - this.lastSent >= this.resendMs) this.#emit(nowMs);
  }

  onConnected(nowMs) {
    this.connected = true;
    if (this.choice !== null) this.#emit(nowMs);
  }

  onDisconnected() {
    this.connected = false;
  }

  #emit(nowMs) {
    if (!this.connected) return;
    this.send(this.choice ?? '');
    this.lastSent = nowMs;
  }
}
