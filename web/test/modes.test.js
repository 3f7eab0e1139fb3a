import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  MODE_NAMES, MODE_VOTE_RESEND_MS, ModeVoter, formatDuration, modeVoteMessage, modesView,
  ownToken, voterToken,
} from '../src/logic/modes.js';
import { BIN_NAMES } from '../src/logic/commands.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The (voter id, token) pairs of kropbot_common/voter_token.py TEST_VECTORS. */
function pythonVectors() {
  const src = readFileSync(
    join(ROOT, 'src', 'kropbot_common', 'kropbot_common', 'voter_token.py'), 'utf8',
  );
  const block = src.match(/TEST_VECTORS = \(([\s\S]*?)\n\)/)[1];
  return [...block.matchAll(/\('([^']*)', '([0-9a-f]{8})'\)/g)].map((m) => [m[1], m[2]]);
}

const ME = voterToken('ws-me');
const A = voterToken('ws-a');
const B = voterToken('ws-b');

describe('voterToken', () => {
  it('reproduces the Python test vectors', () => {
    const vectors = pythonVectors();
    expect(vectors.length).toBeGreaterThanOrEqual(5);
    for (const [id, token] of vectors) expect(voterToken(id)).toBe(token);
  });

  it('prefers the gateway\'s `you` over the client\'s own token', () => {
    expect(ownToken({ you: A }, B)).toBe(A);
    expect(ownToken({}, B)).toBe(B);
    expect(ownToken({ you: 'ws-a' }, null)).toBeNull(); // not a token
    expect(ownToken(null, 'nope')).toBeNull();
  });
});

describe('formatDuration', () => {
  it('rounds up to m:ss and h:mm:ss', () => {
    expect(formatDuration(80)).toBe('1:20');
    expect(formatDuration(79.2)).toBe('1:20');
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(-3)).toBe('0:00');
    expect(formatDuration(NaN)).toBe('0:00');
  });
});

describe('modesView', () => {
  it('reads a status without mode keys as vote mode with a usable pad', () => {
    const v = modesView({ voters: 2, strategy: 'median' });
    expect(v.mode).toBe('vote');
    expect(v.detail).toContain('median');
    expect(v.pad).toBe('drive');
    expect(v.meter).toBeNull();
    expect(modesView(null).mode).toBe('vote');
    expect(modesView({ mode: 'chaos' }).mode).toBe('vote');
    expect(MODE_NAMES).toEqual(['vote', 'anarchy', 'democracy', 'queue']);
  });

  it('anarchy: says when this client\'s input is the one driving', () => {
    const status = { mode: 'anarchy', anarchy: { driver: ME, input_age: 0.2 } };
    expect(modesView(status, { token: ME }).detail).toBe('your input is driving');
    expect(modesView(status, { token: A }).detail).toBe('the newest input drives');
    expect(modesView({ ...status, mode_source: 'crowd' }).title).toBe('anarchy (chosen by the crowd)');
  });

  it('democracy: tally bars, leader, executing direction and a running countdown', () => {
    const status = {
      mode: 'democracy',
      democracy: {
        window: 2, time_left: 1.5, tally: { forward: 3, left: 1 }, votes: 4,
        leading: 'forward', executing: 'back_left',
      },
    };
    const v = modesView(status, { elapsed: 0.5 });
    expect(v.democracy.timeLeft).toBeCloseTo(1.0);
    expect(v.democracy.bars.map((b) => b.name)).toEqual(BIN_NAMES);
    expect(v.democracy.bars[0]).toEqual({ name: 'forward', count: 3, fraction: 0.75 });
    expect(v.detail).toBe(
      'next decision in 1.0 s: forward leads (4 votes); now executing back left',
    );
    expect(v.pad).toBe('drive');
    expect(modesView(status, { elapsed: 9 }).democracy.timeLeft).toBe(0);
    const odd = modesView({ mode: 'democracy', democracy: { leading: 'up', tally: 'x' } });
    expect(odd.democracy.leading).toBe('stop');
    expect(odd.democracy.votes).toBe(0);
  });

  const queue = (extra = {}) => ({
    mode: 'queue',
    queue: {
      turn_duration: 30, idle_timeout: 5, driver: A, turn_left: 20, idle_left: null,
      length: 3, waiting: [B, ME, voterToken('ws-c')], ...extra,
    },
  });

  it('queue: this client\'s position and wait estimate, its pad waiting', () => {
    const v = modesView(queue(), { token: ME });
    expect(v.queue.role).toBe('waiting');
    expect(v.queue.position).toBe(2);
    expect(v.queue.wait).toBe(50); // 20 s left of the current turn + one whole turn
    expect(v.detail).toBe('your turn in 0:50 (position 2 of 3)');
    expect(v.pad).toBe('wait');
    // an idle driver: the current turn may end sooner
    const idle = modesView(queue({ idle_left: 4 }), { token: ME, elapsed: 1 });
    expect(idle.queue.wait).toBe(33);
    expect(idle.detail).toBe('your turn in 0:33 (position 2 of 3)');
    expect(modesView(queue({ turn_left: 80, turn_duration: 60, waiting: [ME] }), { token: ME })
      .detail).toBe('your turn in 1:20 (position 1 of 3)');
  });

  it('queue: the driver sees the time left and the idle warning, its pad drives', () => {
    const v = modesView(queue({ driver: ME, idle_left: 3.2 }), { token: ME });
    expect(v.queue.role).toBe('driver');
    expect(v.pad).toBe('drive');
    expect(v.detail).toBe('your turn: 0:20 left (hold a direction within 4 s or it passes on)');
    expect(modesView(queue({ driver: ME }), { token: ME, elapsed: 5 }).detail)
      .toBe('your turn: 0:15 left');
  });

  it('queue: outsiders are told how to join; unknown identity keeps the pad', () => {
    const out = modesView(queue(), { token: voterToken('ws-new') });
    expect(out.queue.role).toBe('out');
    expect(out.pad).toBe('join');
    expect(out.detail).toBe('queue: 3 waiting, a driver has 0:20 left; press a direction to join');
    const unlisted = modesView(queue({ length: 500 }), { token: voterToken('ws-new') });
    expect(unlisted.queue.role).toBe('unlisted');
    expect(unlisted.detail).toContain('only the first 3 are listed');
    const empty = modesView({ mode: 'queue', queue: { length: 0, waiting: [], driver: null } },
      { token: ME });
    expect(empty.detail).toBe('queue: 0 waiting, nobody is driving; press a direction to join');
    const unknown = modesView(queue(), { token: null });
    expect(unknown.queue.role).toBe('unknown');
    expect(unknown.pad).toBe('drive');
  });

  it('meter: shown only with crowd_switch on; share, threshold mark and cool-down', () => {
    expect(modesView({ mode: 'anarchy', switch: { enabled: false } }).meter).toBeNull();
    const sw = {
      enabled: true, active: true, anarchy: 1, democracy: 3, threshold: 0.75, cooldown_left: 12,
    };
    const m = modesView({ mode: 'anarchy', switch: sw }, { elapsed: 2 }).meter;
    expect(m.fraction).toBe(0.75);
    expect(m.mark).toBeCloseTo(0.25);
    expect(m.cooldownLeft).toBe(10);
    expect(m.text).toBe('1 anarchy · 3 democracy; a switch needs 75 % of the mode votes, '
      + 'possible in 0:10');
    expect(modesView({ mode: 'democracy', switch: sw }).meter.mark).toBe(0.75);
    const fixed = modesView({ mode: 'queue', switch: { ...sw, active: false } }).meter;
    expect(fixed.active).toBe(false);
    expect(fixed.text).toContain('the operator has set this mode');
    expect(modesView({ mode: 'anarchy', switch: { enabled: true } }).meter.fraction).toBeNull();
  });
});

describe('mode votes', () => {
  it('builds the crowd/mode_vote message and refuses other modes', () => {
    expect(JSON.parse(modeVoteMessage('democracy').data)).toEqual({ voter: '', mode: 'democracy' });
    expect(JSON.parse(modeVoteMessage('', 'tab-1').data)).toEqual({ voter: 'tab-1', mode: '' });
    expect(() => modeVoteMessage('queue')).toThrow(RangeError);
  });

  it('sends a choice at once, re-sends it while connected, withdraws with null', () => {
    const sent = [];
    const mv = new ModeVoter({ send: (m) => sent.push(m) });
    mv.choose('anarchy', 0);
    mv.choose('anarchy', 10); // unchanged: nothing
    mv.tick(MODE_VOTE_RESEND_MS - 1);
    expect(sent).toEqual(['anarchy']);
    mv.tick(MODE_VOTE_RESEND_MS);
    expect(sent).toEqual(['anarchy', 'anarchy']);
    mv.onDisconnected();
    mv.tick(3 * MODE_VOTE_RESEND_MS);
    expect(sent).toHaveLength(2);
    mv.onConnected(3 * MODE_VOTE_RESEND_MS);
    expect(sent).toHaveLength(3);
    mv.choose(null, 3 * MODE_VOTE_RESEND_MS + 1);
    mv.tick(10 * MODE_VOTE_RESEND_MS);
    expect(sent).toEqual(['anarchy', 'anarchy', 'anarchy', '']);
    expect(() => mv.choose('vote', 0)).toThrow(RangeError);
  });
});
