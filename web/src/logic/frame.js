/**
 * Pure helpers for sensor_msgs/msg/CompressedImage messages received through roslibjs.
 */

/**
 * builtin_interfaces/Time → ms since the epoch.
 *
 * @param {{sec?: number, nanosec?: number, secs?: number, nsecs?: number}|undefined} stamp
 * @returns {number|null} null if the stamp is missing or zero
 */
export function stampToMs(stamp) {
  if (!stamp || typeof stamp !== 'object') return null;
  const sec = Number(stamp.sec ?? stamp.secs ?? 0);
  const nsec = Number(stamp.nanosec ?? stamp.nsecs ?? 0);
  if (!Number.isFinite(sec) || !Number.isFinite(nsec) || (sec === 0 && nsec === 0)) return null;
  return sec * 1000 + nsec / 1e6;
}

/**
 * Decode base64 (the JSON encoding rosbridge uses for uint8[] fields) to bytes.
 *
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base64ToBytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The JPEG bytes of a CompressedImage `data` field in any encoding rosbridge produces:
 * a typed array (CBOR), a base64 string (JSON) or a plain array of numbers.
 *
 * @param {unknown} data
 * @returns {Uint8Array|null} null if the field is missing or empty
 */
export function imageBytes(data) {
  let bytes = null;
  if (data instanceof Uint8Array) bytes = data;
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (typeof data === 'string') bytes = base64ToBytes(data);
  else if (Array.isArray(data)) bytes = Uint8Array.from(data);
  return bytes && bytes.length > 0 ? bytes : null;
}

/**
 * MIME type for a CompressedImage `format` string ("jpeg", "bgr8; jpeg compressed bgr8", "png").
 *
 * @param {string} [format]
 * @returns {string}
 */
export function imageMime(format) {
  return typeof format === 'string' && /png/i.test(format) && !/jpe?g/i.test(format)
    ? 'image/png' : 'image/jpeg';
}

/**
 * Human text for a frame age.
 *
 * @param {number|null} ageMs
 * @returns {string}
 */
export function formatAge(ageMs) {
  if (ageMs === null || !Number.isFinite(ageMs)) return '—';
  if (Math.abs(ageMs) < 10000) return `${Math.round(ageMs)} ms`;
  return `${(ageMs / 1000).toFixed(0)} s`;
}
