// @vitest-environment happy-dom
// The operator's moderation panel (ui/moderation.js) on the real index.html section.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { createModerationPanel } from '../src/ui/moderation.js';

const html = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'index.html'), 'utf8');
const body = html.slice(html.indexOf('<body>') + 6, html.indexOf('</body>'))
  .replace(/<script[\s\S]*?<\/script>/g, '');
const testid = (id) => document.querySelector(`[data-testid="${id}"]`);
const T1 = '0a1b2c3d';
const ME = 'abcdef01';

function setup(connected = true) {
  const sent = [];
  const panel = createModerationPanel(testid('moderation'), {
    send: (msg) => {
      if (connected) sent.push(JSON.parse(msg.data));
      return connected;
    },
  });
  return { panel, sent };
}

beforeEach(() => {
  document.body.innerHTML = body;
});

describe('moderation panel', () => {
  it('is hidden until the operator signs in; pause, resume and the mode select', () => {
    const { panel, sent } = setup();
    expect(testid('moderation').hidden).toBe(true);
    panel.show(true);
    expect(testid('moderation').hidden).toBe(false);
    panel.renderStatus({ mode: 'democracy', paused: false });
    expect(testid('mod-mode').value).toBe('democracy');
    expect(testid('mod-resume').disabled).toBe(true);
    testid('mod-pause').click();
    panel.renderStatus({ mode: 'democracy', paused: true });
    expect(testid('mod-pause').disabled).toBe(true);
    testid('mod-resume').click();
    testid('mod-mode').value = 'queue';
    testid('mod-mode').dispatchEvent(new Event('change'));
    expect(sent).toEqual([{ action: 'pause' }, { action: 'resume' },
      { action: 'mode', mode: 'queue' }]);
  });

  it('lists the connections with kick and ban (not for the operator itself) and the bans', () => {
    const { panel, sent } = setup();
    panel.setOwnToken(ME);
    panel.renderStatus({ mode: 'queue', max_linear: 0.3, max_angular: 1.5,
      queue: { driver: T1, waiting: [] } });
    panel.renderConnections({
      total: 2,
      connections: [
        { token: ME, role: 'operator', address: '127.0.0.1', counted: true, votes: 0 },
        { token: T1, role: 'crowd', address: '203.0.113.5', counted: true, votes: 3,
          last_vote: [0.3, 0] },
      ],
      bans: [{ address: '192.0.2.1', action: 'ban', operator: 'alice', remaining: 3600 }],
    });
    expect(testid('mod-total').textContent).toBe('2 connections');
    const row = testid(`mod-row-${T1}`);
    expect(row.textContent).toContain('queue driver');
    expect(row.textContent).toContain('forward (3)');
    expect(testid(`mod-kick-${ME}`)).toBeNull();
    testid(`mod-kick-${T1}`).click();
    testid('mod-ban-duration').value = '600';
    testid(`mod-ban-${T1}`).click();
    expect(testid('mod-banned-192.0.2.1').textContent).toContain('1:00:00 left');
    testid('mod-unban-192.0.2.1').click();
    expect(sent).toEqual([{ action: 'kick', token: T1 }, { action: 'ban', token: T1,
      duration: 600 }, { action: 'unban', address: '192.0.2.1' }]);
  });

  it('shows the gateway\'s answers, and says when it is not connected', () => {
    const { panel } = setup(false);
    expect(panel.serverStatus({ level: 'info', msg: 'auth: authenticated as operator' }))
      .toBe(false);
    expect(panel.serverStatus({ level: 'error', msg: 'moderation: no connection has the '
      + 'token 00000000' })).toBe(true);
    expect(testid('mod-answer').textContent).toBe('no connection has the token 00000000');
    expect(testid('mod-answer').dataset.ok).toBe('false');
    testid('mod-pause').click();
    expect(testid('mod-answer').textContent).toBe('not connected');
  });
});
