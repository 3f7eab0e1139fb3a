/**
 * The operator's moderation (pure): the commands the page sends on the crowd gateway's
 * crowd/moderation topic, the gateway's answers, and the view model of crowd/connections (the
 * kick/ban list). Protocol: src/kropbot_gateway/doc/gateway.md, "Moderation".
 *
 * A command is std_msgs/msg/String whose `data` is a JSON object: {"action": "pause"},
 * {"action": "resume"}, {"action": "mode", "mode": "queue"}, {"action": "kick", "token": T},
 * {"action": "ban", "token": T, "duration": s}, {"action": "unban", "address": A}. The gateway
 * answers each with a rosbridge `status` op whose text starts with "moderation: ".
 */
import { BUTTONS } from './commands.js';
import { MODE_NAMES, formatDuration } from './modes.js';
import { commandBin } from './status.js';

/** The moderation actions. */
export const ACTIONS = Object.freeze(['pause', 'resume', 'mode', 'kick', 'ban', 'unban']);

/** Ban lengths the panel offers (s). */
export const BAN_DURATIONS = Object.freeze([
  { label: '10 minutes', seconds: 600 },
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86400 },
  { label: '1 week', seconds: 604800 },
]);

const TOKEN_RE = /^[0-9a-f]{8}$/;
const LABELS = Object.fromEntries(BUTTONS.map((b) => [b.name, b.label]));

/**
 * Build a crowd/moderation message.
 *
 * @param {string} action - one of ACTIONS
 * @param {{mode?: string, token?: string, address?: string, duration?: number}} [fields]
 * @returns {{data: string}}
 * @throws {RangeError} for an unknown action or a malformed field
 */
export function moderationMessage(action, fields = {}) {
  if (!ACTIONS.includes(action)) throw new RangeError(`unknown moderation action: ${action}`);
  const cmd = { action };
  if (action === 'mode') {
    if (!MODE_NAMES.includes(fields.mode)) throw new RangeError(`unknown mode: ${fields.mode}`);
    cmd.mode = fields.mode;
  }
  if (action === 'kick' || (action === 'ban' && fields.address === undefined)) {
    if (!TOKEN_RE.test(fields.token ?? '')) throw new RangeError('a voter token is 8 hex digits');
    cmd.token = fields.token;
  }
  if (action === 'unban' || (action === 'ban' && fields.address !== undefined)) {
    if (typeof fields.address !== 'string' || !fields.address) {
      throw new RangeError('an address is needed');
    }
    cmd.address = fields.address;
  }
  if (action === 'ban' && fields.duration !== undefined) {
    if (!(Number.isFinite(fields.duration) && fields.duration > 0)) {
      throw new RangeError('a ban lasts a positive number of seconds');
    }
    cmd.duration = fields.duration;
  }
  return { data: JSON.stringify(cmd) };
}

/**
 * Read a rosbridge `status` op as the answer to a moderation command.
 *
 * @param {{level?: string, msg?: string}|null} status
 * @returns {{ok: boolean, text: string}|null} null if the status is not about moderation
 */
export function parseModerationAnswer(status) {
  const msg = typeof status?.msg === 'string' ? status.msg : '';
  if (!msg.startsWith('moderation:')) return null;
  return { ok: status.level === 'info', text: msg.slice(11).trim() };
}

/**
 * Where each token stands in crowd/status (queue driver and line, anarchy driver).
 *
 * @param {object|null} status - parsed crowd/status
 * @returns {Map<string, string>} token -> tag, e.g. "queue driver", "queue #2"
 */
export function statusTags(status) {
  const tags = new Map();
  const q = status?.queue;
  if (q && typeof q === 'object') {
    if (typeof q.driver === 'string') tags.set(q.driver, 'queue driver');
    (Array.isArray(q.waiting) ? q.waiting : []).forEach((t, i) => {
      if (typeof t === 'string') tags.set(t, `queue #${i + 1}`);
    });
  }
  const a = status?.anarchy;
  if (a && typeof a.driver === 'string') tags.set(a.driver, 'anarchy driver');
  return tags;
}

/**
 * The kick/ban list: crowd/connections (the gateway's, operators only) joined with the tags of
 * crowd/status.
 *
 * @param {object|null} listing - parsed crowd/connections
 * @param {object|null} status - parsed crowd/status (limits for the vote's direction, tags)
 * @param {string|null} [ownToken] - this operator's own token (its row is marked, no buttons)
 * @returns {{total: number, rows: Array<{token: string, role: string, address: string,
 *   counted: boolean, votes: number, vote: string, tag: string, own: boolean}>,
 *   bans: Array<{address: string, action: string, operator: string, remaining: string}>}}
 *   vote: the latest vote's direction label (or "—"); rows of people first, then bots and
 *   operators
 */
export function connectionsView(listing, status, ownToken = null) {
  const l = listing && typeof listing === 'object' ? listing : {};
  const limits = { maxLinear: status?.max_linear, maxAngular: status?.max_angular };
  const tags = statusTags(status);
  const rank = { crowd: 0, bot: 1, operator: 2 };
  const rows = (Array.isArray(l.connections) ? l.connections : [])
    .filter((c) => c && TOKEN_RE.test(c.token ?? ''))
    .map((c) => {
      const last = Array.isArray(c.last_vote) ? c.last_vote : null;
      return {
        token: c.token,
        role: typeof c.role === 'string' ? c.role : 'crowd',
        address: typeof c.address === 'string' ? c.address : '?',
        counted: c.counted !== false,
        votes: Number.isSafeInteger(c.votes) ? c.votes : 0,
        vote: last ? LABELS[commandBin(last[0], last[1], limits)] : '—',
        tag: tags.get(c.token) ?? '',
        own: c.token === ownToken,
      };
    })
    .sort((a, b) => (rank[a.role] ?? 0) - (rank[b.role] ?? 0));
  const bans = (Array.isArray(l.bans) ? l.bans : [])
    .filter((b) => b && typeof b.address === 'string')
    .map((b) => ({
      address: b.address,
      action: b.action === 'kick' ? 'kick' : 'ban',
      operator: typeof b.operator === 'string' ? b.operator : '',
      remaining: formatDuration(b.remaining),
    }));
  return { total: Number.isSafeInteger(l.total) ? l.total : rows.length, rows, bans };
}

/**
 * Whether the operator has paused the crowd (crowd/status `paused`).
 *
 * @param {object|null} status
 * @returns {boolean}
 */
export function isPaused(status) {
  return status?.paused === true;
}

/**
 * The "watching only" note of crowd/you: null while this connection's votes count.
 *
 * @param {object|null} you - parsed crowd/you
 * @returns {string|null}
 */
export function watchingNote(you) {
  if (!you || you.counted !== false) return null;
  return 'You are watching: too many voters from your network, so your votes are not '
    + 'counted. You will vote as soon as one of them leaves.';
}
