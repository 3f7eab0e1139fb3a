/**
 * The page's operator mode (pure: clock, crypto and transport injected).
 *
 * An operator pastes the operator's secret (the line of the gateway's auth_secret_file, see
 * src/kropbot_gateway/doc/auth.md). The page never sends it: for every connection it computes a
 * fresh rosauth MAC with the browser's SubtleCrypto SHA-512 and sends the rosbridge v2 `auth` op
 * through roslibjs `Ros.authenticate()`; the gateway answers with a `status` op
 * ("auth: authenticated as operator", or "auth: <why not>"). From then on the page's controls
 * publish geometry_msgs/Twist on teleop/cmd_vel, which overrides the crowd in the vote node
 * while fresh. The secret stays in this tab's memory only (a reload asks again), so it can
 * re-authenticate after a reconnect; a refusal forgets it.
 *
 * The MAC is rosauth's (GT-RAIL/rosauth ros_mac_authentication.cpp, as in
 * kropbot_gateway/auth.py): lower-case hex SHA-512 of secret + client + dest + rand + t + level
 * + end, with t and end as integer seconds. SubtleCrypto exists only in secure contexts
 * (https, or http on localhost): on a plain-http page the mode is unavailable, on purpose — a
 * page that came over plain http could have been altered to steal what is typed into it.
 */

/** The `level` field of the page's auth op (rosauth's usual "admin"; bound into the MAC). */
export const OPERATOR_LEVEL = 'admin';

/** Lifetime of one authentication (s): the gateway closes the connection at its end. */
export const AUTH_LIFETIME_S = 3600;

/** The `client` field: a browser does not know its public address, so a fixed name. */
export const AUTH_CLIENT = 'kropbot-page';

/**
 * When the operator's commands go out (a VoteScheduler with these options): a changed command
 * at most every 33 ms (30/s), the held command re-sent every 100 ms (the vote node's
 * teleop_timeout is 0.5 s), the same budget as the desktop client and within the gateway's
 * operator_commands_per_second (50/s).
 */
export const OPERATOR_TIMING = Object.freeze({ resendMs: 100, minIntervalMs: 33 });

/**
 * Whether the page URL asks for the operator panel (`?operator`).
 *
 * @param {string} search - location.search
 * @returns {boolean}
 */
export function operatorRequested(search) {
  return new URLSearchParams(search).has('operator');
}

/**
 * The text rosauth hashes, in its field order.
 *
 * @returns {string}
 */
export function macText(secret, client, dest, rand, t, level, end) {
  return `${secret}${client}${dest}${rand}${Math.floor(t)}${level}${Math.floor(end)}`;
}

/**
 * Lower-case hex SHA-512 of a text (UTF-8).
 *
 * @param {string} text
 * @param {SubtleCrypto} subtle - window.crypto.subtle
 * @returns {Promise<string>} 128 hex digits
 */
export async function sha512Hex(text, subtle) {
  const digest = await subtle.digest('SHA-512', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A nonce for `rand`: 32 random hex digits.
 *
 * @param {{getRandomValues: (a: Uint8Array) => Uint8Array}} crypto
 * @returns {string}
 */
export function randomNonce(crypto) {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Build the fields of a rosbridge v2 `auth` op (what Ros.authenticate() takes).
 *
 * @param {{secret: string, dest: string, nowMs: number, subtle: SubtleCrypto, rand: string,
 *   client?: string, level?: string, lifetimeS?: number}} opts - nowMs: Date.now()
 * @returns {Promise<{mac: string, client: string, dest: string, rand: string, t: number,
 *   level: string, end: number}>} t and end in integer seconds since the epoch
 */
export async function authFields({
  secret, dest, nowMs, subtle, rand, client = AUTH_CLIENT, level = OPERATOR_LEVEL,
  lifetimeS = AUTH_LIFETIME_S,
}) {
  const t = Math.floor(nowMs / 1000);
  const end = t + Math.floor(lifetimeS);
  const mac = await sha512Hex(macText(secret, client, dest, rand, t, level, end), subtle);
  return { mac, client, dest, rand, t, level, end };
}

/**
 * Read a rosbridge `status` op as the answer to an auth op.
 *
 * @param {{level?: string, msg?: string}|null} status
 * @returns {{ok: true, role: string}|{ok: false, reason: string}|null} null if the status is
 *   not about auth
 */
export function parseAuthStatus(status) {
  const msg = typeof status?.msg === 'string' ? status.msg : '';
  if (!msg.startsWith('auth:')) return null;
  const text = msg.slice(5).trim();
  const ok = /^authenticated as (\w+)$/.exec(text);
  if (ok && status.level !== 'error') return { ok: true, role: ok[1] };
  return { ok: false, reason: text || 'refused' };
}

/**
 * The geometry_msgs/msg/Twist of an operator command (roslibjs JSON form).
 *
 * @param {{linear: number, angular: number}} command - m/s, rad/s
 * @returns {object}
 */
export function twistMessage(command) {
  return { linear: { x: command.linear, y: 0, z: 0 }, angular: { x: 0, y: 0, z: command.angular } };
}

/** States of an OperatorSession. */
export const STATES = Object.freeze({
  off: 'off', signingIn: 'signing-in', operator: 'operator', refused: 'refused',
  unavailable: 'unavailable',
});

/**
 * The operator's sign-in across connections: a small state machine.
 *
 * off --start(secret)--> signing-in --(status ok)--> operator
 *                           |  ^                         |
 *           (status error)  v  └──(connection lost)──────┘
 *                         refused (the secret is forgotten)
 * stop() from any state → off. Without SubtleCrypto, start() → unavailable.
 */
export class OperatorSession {
  /**
   * @param {{makeAuth: (secret: string) => Promise<object>, send: (fields: object) => boolean,
   *   onChange?: (state: string, detail: string) => void, available?: boolean}} deps -
   *   makeAuth builds fresh auth fields (authFields with a new rand and the current time);
   *   send hands them to Ros.authenticate() and returns false while disconnected;
   *   available is false where SubtleCrypto is missing
   */
  constructor({ makeAuth, send, onChange = () => {}, available = true }) {
    this.makeAuth = makeAuth;
    this.send = send;
    this.onChange = onChange;
    this.available = available;
    this.state = STATES.off;
    this.detail = '';
    this.secret = null;
    this.attempt = 0;
  }

  /** Whether the page drives as the operator now. */
  get active() {
    return this.state === STATES.operator;
  }

  _set(state, detail = '') {
    this.state = state;
    this.detail = detail;
    this.onChange(state, detail);
  }

  /**
   * Sign in with `secret` (on this connection, and again after every reconnect).
   *
   * @param {string} secret
   * @param {boolean} connected - whether the socket is open now
   */
  start(secret, connected) {
    if (!this.available) {
      this._set(STATES.unavailable, 'operator mode needs https:// (or localhost): the browser '
        + 'has no SubtleCrypto on a plain-http page');
      return;
    }
    if (!secret) {
      this._set(STATES.refused, 'enter the operator secret');
      return;
    }
    this.secret = secret;
    this._set(STATES.signingIn);
    if (connected) this._authenticate();
  }

  /** The connection (re)opened: authenticate again if signed in (a MAC is single-use). */
  connected() {
    if (this.secret === null) return;
    this._set(STATES.signingIn);
    this._authenticate();
  }

  /** The connection closed: the next connection signs in again. */
  disconnected() {
    if (this.secret !== null && this.state === STATES.operator) this._set(STATES.signingIn);
  }

  /**
   * A rosbridge status op arrived.
   *
   * @param {object} status
   * @returns {boolean} whether it answered an auth op
   */
  status(status) {
    const answer = parseAuthStatus(status);
    if (answer === null || this.secret === null || this.state !== STATES.signingIn) {
      return answer !== null;
    }
    if (answer.ok && answer.role === 'operator') {
      this._set(STATES.operator);
    } else {
      this.secret = null; // a wrong secret is not retried on every reconnect
      this._set(STATES.refused, answer.ok ? `authenticated as ${answer.role}, not operator`
        : answer.reason);
    }
    return true;
  }

  /** Leave operator mode and forget the secret. */
  stop() {
    this.secret = null;
    this._set(STATES.off);
  }

  async _authenticate() {
    const attempt = ++this.attempt;
    const secret = this.secret;
    let fields;
    try {
      fields = await this.makeAuth(secret);
    } catch (err) {
      this.secret = null;
      this._set(STATES.refused, `cannot compute the MAC: ${err?.message ?? err}`);
      return;
    }
    if (attempt !== this.attempt || this.secret !== secret) return; // superseded
    if (!this.send(fields)) this._set(STATES.signingIn, 'waiting for the connection');
  }
}

/**
 * Forwards the controls to the crowd's or the operator's scheduler (both VoteSchedulers).
 *
 * Controls talk to one "votes" object; this is it. Switching releases what the old mode held
 * (one stop goes out there) so that nothing held in one mode carries into the other.
 */
export class DriveRouter {
  /**
   * @param {{crowd: object, operator: object}} schedulers - VoteScheduler instances
   */
  constructor({ crowd, operator }) {
    this.schedulers = { crowd, operator };
    this.mode = 'crowd';
  }

  get current() {
    return this.schedulers[this.mode];
  }

  /**
   * @param {'crowd'|'operator'} mode
   * @param {number} now - ms
   */
  use(mode, now) {
    if (mode === this.mode) return;
    this.current.releaseAll(now);
    this.mode = mode;
  }

  set(source, command, now) {
    this.current.set(source, command, now);
  }

  setLimits(limits) {
    for (const s of Object.values(this.schedulers)) s.setLimits(limits);
  }

  releaseAll(now) {
    this.current.releaseAll(now);
  }

  tick(now) {
    for (const s of Object.values(this.schedulers)) s.tick(now);
  }

  onConnected(now) {
    for (const s of Object.values(this.schedulers)) s.onConnected(now);
  }

  onDisconnected() {
    for (const s of Object.values(this.schedulers)) s.onDisconnected();
  }
}
