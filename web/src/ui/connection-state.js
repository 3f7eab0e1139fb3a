/**
 * The connection badge (`conn-state`): text and `data-state` follow CrowdLink's onState.
 */

/**
 * @param {HTMLElement} el - the badge
 * @returns {{show: (state: string, info?: {retryInMs?: number}) => void}}
 */
export function createConnectionState(el) {
  return {
    show(state, info) {
      el.dataset.state = state;
      const retry = info?.retryInMs ? ` (retry in ${(info.retryInMs / 1000).toFixed(1)} s)` : '';
      el.textContent = state + retry;
    },
  };
}
