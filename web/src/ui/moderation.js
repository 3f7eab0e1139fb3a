/**
 * The operator's moderation panel (inside the operator panel, shown while signed in): pause /
 * resume, the mode select, the kick/ban list of voter tokens (crowd/connections joined with
 * crowd/status, logic/moderation.js), the banned addresses with "unban", and the gateway's
 * latest answer. Every button hands a crowd/moderation message to `send`.
 */
import { BAN_DURATIONS, connectionsView, moderationMessage, parseModerationAnswer }
  from '../logic/moderation.js';

/**
 * @param {HTMLElement} root - the moderation section (children found by data-testid:
 *   mod-pause, mod-resume, mod-mode, mod-total, mod-ban-duration, mod-connections, mod-bans,
 *   mod-answer)
 * @param {{send: (msg: {data: string}) => boolean}} opts - send: publish on crowd/moderation
 *   (returns false while disconnected)
 * @returns {{show: (active: boolean) => void, renderStatus: (status: object|null) => void,
 *   renderConnections: (listing: object|null) => void, setOwnToken: (token: string|null) => void,
 *   serverStatus: (status: object) => boolean}}
 */
export function createModerationPanel(root, { send }) {
  const $ = (id) => root.querySelector(`[data-testid="${id}"]`);
  const els = {
    pause: $('mod-pause'), resume: $('mod-resume'), mode: $('mod-mode'), total: $('mod-total'),
    duration: $('mod-ban-duration'), list: $('mod-connections').querySelector('tbody'),
    bans: $('mod-bans'), answer: $('mod-answer'),
  };
  for (const d of BAN_DURATIONS) {
    const option = document.createElement('option');
    option.value = String(d.seconds);
    option.textContent = d.label;
    els.duration.appendChild(option);
  }
  els.duration.value = '3600';
  let status = null;
  let listing = null;
  let ownToken = null;

  function say(text, ok) {
    els.answer.textContent = text;
    els.answer.dataset.ok = String(ok);
  }

  function command(action, fields) {
    if (!send(moderationMessage(action, fields))) say('not connected', false);
  }

  els.pause.addEventListener('click', () => command('pause'));
  els.resume.addEventListener('click', () => command('resume'));
  els.mode.addEventListener('change', () => command('mode', { mode: els.mode.value }));

  function button(label, testid, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.dataset.testid = testid;
    b.addEventListener('click', onClick);
    return b;
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function draw() {
    const view = connectionsView(listing, status, ownToken);
    els.total.textContent = `${view.total} connection${view.total === 1 ? '' : 's'}`;
    els.list.replaceChildren(...view.rows.map((row) => {
      const tr = document.createElement('tr');
      tr.dataset.testid = `mod-row-${row.token}`;
      tr.dataset.counted = String(row.counted);
      const who = cell(tr, row.token, 'token');
      const extra = [row.role !== 'crowd' ? row.role : '', row.tag, row.own ? 'you' : '',
        row.counted ? '' : 'watching'].filter(Boolean).join(', ');
      if (extra) {
        const tag = document.createElement('span');
        tag.className = 'tag';
        tag.textContent = extra;
        who.appendChild(tag);
      }
      cell(tr, row.address);
      cell(tr, `${row.vote} (${row.votes})`);
      const actions = cell(tr, '');
      if (!row.own) {
        actions.append(
          button('kick', `mod-kick-${row.token}`, () => command('kick', { token: row.token })),
          button('ban', `mod-ban-${row.token}`, () => command('ban', {
            token: row.token, duration: Number(els.duration.value),
          })),
        );
      }
      return tr;
    }));
    els.bans.replaceChildren(...view.bans.map((ban) => {
      const li = document.createElement('li');
      li.dataset.testid = `mod-banned-${ban.address}`;
      li.textContent = `${ban.address} (${ban.action} by ${ban.operator}, ${ban.remaining} left) `;
      li.appendChild(button('unban', `mod-unban-${ban.address}`,
        () => command('unban', { address: ban.address })));
      return li;
    }));
  }

  return {
    show(active) {
      root.hidden = !active;
    },
    renderStatus(s) {
      if (!s) return;
      status = s;
      if (document.activeElement !== els.mode && typeof s.mode === 'string') {
        els.mode.value = s.mode;
      }
      els.pause.disabled = s.paused === true;
      els.resume.disabled = s.paused !== true;
      draw();
    },
    renderConnections(l) {
      if (!l) return;
      listing = l;
      draw();
    },
    setOwnToken(token) {
      ownToken = token;
      draw();
    },
    serverStatus(s) {
      const answer = parseModerationAnswer(s);
      if (answer === null) return false;
      say(answer.text, answer.ok);
      return true;
    },
  };
}
