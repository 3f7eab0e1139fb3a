/**
 * The live camera view: CompressedImage messages → the <img>, and the frame-age readout.
 *
 * Each frame becomes a Blob URL (the previous one is revoked once the next is shown). Only the
 * newest frame is decoded: frames that arrive while the browser decodes one replace each other.
 * The <img> carries `data-frames` (frames shown) and `data-stamp` (ms, header.stamp of the frame
 * shown); the age element `data-age-ms`.
 */
import { formatAge, imageBytes, imageMime, stampToMs } from '../logic/frame.js';

/**
 * @param {{img: HTMLImageElement, placeholder: HTMLElement, age: HTMLElement}} els - the camera
 *   image, the "waiting for video" placeholder, the frame-age text
 * @param {{now?: () => number, urls?: {createObjectURL: Function, revokeObjectURL: Function}}}
 *   [deps] - wall clock in ms (Date.now) and the URL API (window.URL)
 * @returns {{show: (msg: object) => void, updateAge: () => void}}
 */
export function createCamera({ img, placeholder, age }, deps = {}) {
  const now = deps.now ?? Date.now;
  const urls = deps.urls ?? URL;
  let newestStampMs = null;
  let frames = 0;
  let decoding = false;
  let pending = null;
  let shownUrl = null;

  function displayPending() {
    const frame = pending;
    pending = null;
    if (!frame) return;
    decoding = true;
    const url = urls.createObjectURL(new Blob([frame.bytes], { type: frame.mime }));
    const done = () => {
      img.removeEventListener('load', done);
      img.removeEventListener('error', done);
      if (shownUrl) urls.revokeObjectURL(shownUrl);
      shownUrl = url;
      frames += 1;
      img.dataset.frames = String(frames);
      img.dataset.stamp = frame.stamp === null ? '' : String(frame.stamp);
      placeholder.hidden = true;
      decoding = false;
      displayPending();
    };
    img.addEventListener('load', done);
    img.addEventListener('error', done);
    img.src = url;
  }

  return {
    /** Show a sensor_msgs/msg/CompressedImage (roslibjs form); messages without data are ignored. */
    show(msg) {
      const bytes = imageBytes(msg?.data);
      if (!bytes) return;
      const stamp = stampToMs(msg.header?.stamp);
      if (stamp !== null) newestStampMs = stamp;
      pending = { bytes, mime: imageMime(msg.format), stamp };
      if (!decoding) displayPending();
    },

    /** Refresh the frame-age readout (call periodically: it grows while frames stop). */
    updateAge() {
      const ms = newestStampMs === null ? null : now() - newestStampMs;
      age.textContent = formatAge(ms);
      age.dataset.ageMs = ms === null ? '' : String(Math.round(ms));
    },
  };
}
