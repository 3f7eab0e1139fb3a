/**
 * The per-tab voter id of the stock rosbridge mode (pure; storage and randomness injected).
 *
 * Stock rosbridge cannot tell voters apart, so each browser tab names itself, as the 2017
 * KropBot did: `tab-<UUID v4>`, kept in sessionStorage so that reloading the tab keeps the id
 * (and the vote node keeps counting it as one voter) while a new tab gets a new one.
 */

/** sessionStorage key of the id. */
export const VOTER_ID_KEY = 'kropbot.voterId';

/** What a stored id must look like to be reused. */
export const VOTER_ID_PATTERN = /^tab-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A random (version 4, RFC 9562) UUID from 16 random bytes.
 *
 * @param {Uint8Array} bytes - 16 random bytes (copied, not modified)
 * @returns {string} lower-case 8-4-4-4-12 hex
 * @throws {RangeError} unless exactly 16 bytes are given
 */
export function uuidFromBytes(bytes) {
  if (!bytes || bytes.length !== 16) throw new RangeError('a UUID needs 16 bytes');
  const b = Uint8Array.from(bytes);
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A random UUID v4: crypto.randomUUID where it exists, else from crypto.getRandomValues
 * (randomUUID exists in secure contexts only, and this mode is meant for plain-http LANs).
 *
 * @param {{randomUUID?: () => string, getRandomValues: (a: Uint8Array) => Uint8Array}} crypto
 * @returns {string}
 */
export function randomUuid(crypto) {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return uuidFromBytes(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * This tab's voter id: the one stored for the tab, or a new one (then stored).
 *
 * Storage errors (disabled storage, private modes) are tolerated: the id then lasts as long as
 * the page.
 *
 * @param {{storage: {getItem: Function, setItem: Function}|null, crypto: object}} deps -
 *   window.sessionStorage and window.crypto
 * @returns {string} `tab-<uuid>`
 */
export function tabVoterId({ storage, crypto }) {
  try {
    const stored = storage?.getItem(VOTER_ID_KEY);
    if (typeof stored === 'string' && VOTER_ID_PATTERN.test(stored)) return stored;
  } catch {
    // unreadable storage: make a new id
  }
  const id = `tab-${randomUuid(crypto)}`;
  try {
    storage?.setItem(VOTER_ID_KEY, id);
  } catch {
    // unwritable storage: the id lasts as long as the page
  }
  return id;
}
