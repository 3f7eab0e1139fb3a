import { describe, expect, it } from 'vitest';
import {
  ACTIONS, BAN_DURATIONS, connectionsView, isPaused, moderationMessage, parseModerationAnswer,
  statusTags, watchingNote,
} from '../src/logic/moderation.js';

const T1 = '0a1b2c3d';
const T2 = 'ffee0011';
const cmd = (msg) => JSON.parse(msg.data);

describe('moderationMessage', () => {
  it('builds the gateway\'s JSON commands', () => {
    expect(cmd(moderationMessage('pause'))).toEqual({ action: 'pause' });
    expect(cmd(moderationMessage('resume'))).toEqual({ action: 'resume' });
    expect(cmd(moderationMessage('mode', { mode: 'queue' }))).toEqual({ action: 'mode',
      mode: 'queue' });
    expect(cmd(moderationMessage('kick', { token: T1 }))).toEqual({ action: 'kick', token: T1 });
    expect(cmd(moderationMessage('ban', { token: T1, duration: 600 })))
      .toEqual({ action: 'ban', token: T1, duration: 600 });
    expect(cmd(moderationMessage('ban', { address: '203.0.113.5' })))
      .toEqual({ action: 'ban', address: '203.0.113.5' });
    expect(cmd(moderationMessage('unban', { address: '203.0.113.5' })))
      .toEqual({ action: 'unban', address: '203.0.113.5' });
    expect(ACTIONS).toHaveLength(6);
    expect(BAN_DURATIONS.map((d) => d.seconds)).toContain(3600);
  });

  it('refuses what the gateway would refuse', () => {
    expect(() => moderationMessage('dance')).toThrow(RangeError);
    expect(() => moderationMessage('mode', { mode: 'chaos' })).toThrow(RangeError);
    expect(() => moderationMessage('kick', { token: 'ws-0123456789ab' })).toThrow(RangeError);
    expect(() => moderationMessage('kick')).toThrow(RangeError);
    expect(() => moderationMessage('ban', { token: T1, duration: 0 })).toThrow(RangeError);
    expect(() => moderationMessage('unban', {})).toThrow(RangeError);
  });
});

describe('parseModerationAnswer', () => {
  it('reads the gateway\'s status ops about moderation only', () => {
    expect(parseModerationAnswer({ level: 'info', msg: 'moderation: crowd paused' }))
      .toEqual({ ok: true, text: 'crowd paused' });
    expect(parseModerationAnswer({ level: 'error', msg: 'moderation: no connection has the '
      + 'token 00000000' })).toEqual({ ok: false, text: 'no connection has the token 00000000' });
    expect(parseModerationAnswer({ level: 'info', msg: 'auth: authenticated as operator' }))
      .toBeNull();
    expect(parseModerationAnswer(null)).toBeNull();
  });
});

describe('connectionsView', () => {
  const status = {
    max_linear: 0.3, max_angular: 1.5,
    queue: { driver: T2, waiting: [T1] },
  };
  const listing = {
    total: 3,
    connections: [
      { token: 'abcdef01', role: 'operator', address: '127.0.0.1', counted: true, votes: 0,
        last_vote: null },
      { token: T1, role: 'crowd', address: '203.0.113.5', counted: false, votes: 4,
        last_vote: [0, 1.5] },
      { token: T2, role: 'crowd', address: '198.51.100.7', counted: true, votes: 9,
        last_vote: [-0.3, 0] },
      { token: 'not-a-token', role: 'crowd' },
    ],
    bans: [{ address: '192.0.2.1', action: 'kick', operator: 'alice', remaining: 42.3 }],
  };

  it('lists people first with their tags, votes and last direction; the bans', () => {
    const view = connectionsView(listing, status, 'abcdef01');
    expect(view.total).toBe(3);
    expect(view.rows.map((r) => r.token)).toEqual([T1, T2, 'abcdef01']);
    expect(view.rows[0]).toMatchObject({ tag: 'queue #1', vote: 'left', counted: false,
      votes: 4, address: '203.0.113.5', own: false });
    expect(view.rows[1]).toMatchObject({ tag: 'queue driver', vote: 'back' });
    expect(view.rows[2]).toMatchObject({ role: 'operator', vote: '—', own: true });
    expect(view.bans).toEqual([{ address: '192.0.2.1', action: 'kick', operator: 'alice',
      remaining: '0:43' }]);
    expect(connectionsView(null, null)).toEqual({ total: 0, rows: [], bans: [] });
  });

  it('tags the anarchy driver', () => {
    expect(statusTags({ anarchy: { driver: T1 } }).get(T1)).toBe('anarchy driver');
    expect(statusTags(null).size).toBe(0);
  });
});

describe('paused and watching', () => {
  it('reads the pause and the watching note', () => {
    expect(isPaused({ paused: true })).toBe(true);
    expect(isPaused({ paused: 'yes' })).toBe(false);
    expect(isPaused(null)).toBe(false);
    expect(watchingNote({ you: T1, counted: false })).toMatch(/^You are watching/);
    expect(watchingNote({ you: T1, counted: true })).toBeNull();
    expect(watchingNote(null)).toBeNull();
  });
});
