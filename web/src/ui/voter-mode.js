/**
 * How votes are attributed, made visible: `data-voter-mode` ("server" or "client") on the root
 * element, `data-voter-id` with the tab's id in the stock rosbridge mode ("client"), and the
 * note that votes are not authenticated there.
 */

/**
 * @param {{root: HTMLElement, note: HTMLElement}} els - e.g. document.body and the note
 * @param {'server'|'client'} mode - config.json's voter_id
 * @param {string} voterId - the tab's id ('' in server mode)
 */
export function showVoterMode({ root, note }, mode, voterId) {
  root.dataset.voterMode = mode;
  if (mode === 'client') root.dataset.voterId = voterId;
  else delete root.dataset.voterId;
  note.hidden = mode !== 'client';
}
