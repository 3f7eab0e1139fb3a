// @vitest-environment happy-dom
// @vitest-environment-options {"url": "http://127.0.0.1:9090/?operator"}
// main.js composed on the real index.html in operator mode (?operator), roslibjs replaced by a
// recording stand-in: sign in, the auth op with the gateway's MAC, the panel's states, the
// controls switching to teleop/cmd_vel, re-authentication after a reconnect, leaving.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { macText, sha512Hex } from '../src/logic/operator.js';

const sockets = vi.hoisted(() => []);
vi.mock('roslib', () => {
  class Ros {
    constructor() {
      this.handlers = {};
      this.isConnected = false;
      this.topics = [];
      this.auths = [];
      sockets.push(this);
    }

    on(ev, fn) {
      (this.handlers[ev] ??= []).push(fn);
    }

    emit(ev, arg) {
      for (const fn of this.handlers[ev] ?? []) fn(arg);
    }

    connect(url) {
      this.url = url;
      return Promise.resolve();
    }

    open() {
      this.isConnected = true;
      this.emit('connection');
    }

    authenticate(mac, client, dest, rand, t, level, end) {
      this.auths.push({ mac, client, dest, rand, t, level, end });
    }

    once(ev, fn) {
      this.on(ev, fn);
    }

    callOnConnection(msg) {
      (this.sent ??= []).push(msg);
    }

    close() {
      this.isConnected = false;
    }
  }
  class Topic {
    constructor(opts) {
      Object.assign(this, opts);
      this.published = [];
      opts.ros.topics.push(this);
    }

    subscribe(cb) {
      this.callback = cb;
    }

    advertise() {
      this.advertised = true;
    }

    publish(msg) {
      this.published.push(msg);
    }
  }
  return { Ros, Topic };
});

const html = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'index.html'), 'utf8');
const body = html.slice(html.indexOf('<body>') + 6, html.indexOf('</body>'))
  .replace(/<script[\s\S]*?<\/script>/g, '');
const SECRET = 'operator-secret-0123456789';
const testid = (id) => document.querySelector(`[data-testid="${id}"]`);
const realSetTimeout = globalThis.setTimeout; // SubtleCrypto resolves on the real event loop
const settle = async () => {
  for (let i = 0; i < 20; i += 1) {
    await new Promise((resolve) => realSetTimeout(resolve, 5));
    await vi.advanceTimersByTimeAsync(0);
  }
};

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
  });
  vi.resetModules();
  sockets.length = 0;
  document.body.innerHTML = body;
  Object.defineProperty(window, 'isSecureContext', { value: true, configurable: true });
  vi.stubGlobal('fetch', async () => ({ ok: false, status: 404, text: async () => '' }));
});

afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

it('signs in with a MAC, drives teleop/cmd_vel, re-authenticates after a drop, leaves', async () => {
  await import('../src/main.js');
  const ros = sockets.at(-1);
  ros.open();
  expect(testid('operator-panel').hidden).toBe(false);
  expect(document.body.dataset.role).toBe('crowd');

  testid('operator-secret').value = SECRET;
  testid('operator-form').dispatchEvent(new Event('submit', { cancelable: true }));
  expect(testid('operator-secret').value).toBe('');
  await settle();
  expect(ros.auths).toHaveLength(1);
  const op = ros.auths[0];
  expect(op).toMatchObject({ client: 'kropbot-page', dest: '127.0.0.1', level: 'admin' });
  expect(op.end - op.t).toBe(3600);
  const { subtle } = globalThis.crypto;
  expect(op.mac).toBe(await sha512Hex(
    macText(SECRET, op.client, op.dest, op.rand, op.t, op.level, op.end), subtle));
  expect(JSON.stringify(ros.auths)).not.toContain(SECRET);
  expect(testid('operator-state').dataset.state).toBe('signing-in');

  ros.emit('status', { op: 'status', level: 'info', msg: 'auth: authenticated as operator' });
  expect(testid('operator-state').dataset.state).toBe('operator');
  expect(document.body.dataset.role).toBe('operator');
  const teleop = ros.topics.find((t) => t.name === 'teleop/cmd_vel');
  expect(teleop.advertised).toBe(true);

  // moderation: the panel shows, lists crowd/connections, kicks and pauses on crowd/moderation
  expect(testid('moderation').hidden).toBe(false);
  ros.topics.find((t) => t.name === 'crowd/connections').callback({ data: JSON.stringify({
    total: 1, bans: [], connections: [{ token: '0a1b2c3d', role: 'crowd',
      address: '203.0.113.5', counted: true, votes: 2, last_vote: [0.3, 0] }] }) });
  testid('mod-kick-0a1b2c3d').click();
  testid('mod-pause').click();
  expect(ros.sent.map((m) => [m.op, m.topic, JSON.parse(m.msg.data)])).toEqual([
    ['publish', 'crowd/moderation', { action: 'kick', token: '0a1b2c3d' }],
    ['publish', 'crowd/moderation', { action: 'pause' }]]);
  const pauseId = ros.sent[1].id;
  ros.emit(`status:${pauseId}`, { level: 'info', msg: 'moderation: crowd paused', id: pauseId });
  expect(testid('mod-answer').textContent).toBe('crowd paused');
  expect(testid('operator-state').dataset.state).toBe('operator'); // not an auth answer

  // the pad now drives teleop/cmd_vel at a steady rate while held, stop on release
  const votes = ros.topics.find((t) => t.name === 'crowd/vote');
  const votesBefore = votes.published.length;
  const pad = testid('pad-forward');
  pad.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, pointerId: 1 }));
  await vi.advanceTimersByTimeAsync(1000);
  expect(teleop.published.length).toBeGreaterThanOrEqual(9);
  expect(teleop.published[0].linear.x).toBeCloseTo(0.3);
  pad.dispatchEvent(new PointerEvent('pointerup', { bubbles: true, pointerId: 1 }));
  expect(teleop.published.at(-1)).toEqual({ linear: { x: 0, y: 0, z: 0 },
    angular: { x: 0, y: 0, z: 0 } });
  expect(votes.published.length).toBe(votesBefore); // no crowd votes meanwhile

  // the connection drops: the next one authenticates again with a fresh rand
  ros.emit('close');
  await vi.advanceTimersByTimeAsync(600);
  const ros2 = sockets.at(-1);
  expect(ros2).not.toBe(ros);
  ros2.open();
  await settle();
  expect(ros2.auths).toHaveLength(1);
  expect(ros2.auths[0].rand).not.toBe(op.rand);
  ros2.emit('status', { level: 'info', msg: 'auth: authenticated as operator' });
  expect(testid('operator-state').dataset.state).toBe('operator');

  // leaving: a new connection as a crowd voter, and the crowd pad votes again
  testid('operator-leave').dispatchEvent(new MouseEvent('click'));
  expect(testid('operator-state').dataset.state).toBe('off');
  expect(testid('moderation').hidden).toBe(true);
  expect(document.body.dataset.role).toBe('crowd');
  await vi.advanceTimersByTimeAsync(1100); // the back-off's second step
  const ros3 = sockets.at(-1);
  expect(ros3).not.toBe(ros2);
  ros3.open();
  await settle();
  expect(ros3.auths).toHaveLength(0);
  pad.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, pointerId: 2 }));
  expect(ros3.topics.find((t) => t.name === 'crowd/vote').published).toHaveLength(1);
});

it('a refusal is shown and nothing drives teleop', async () => {
  await import('../src/main.js');
  const ros = sockets.at(-1);
  ros.open();
  testid('operator-secret').value = 'wrong-secret-0123456';
  testid('operator-form').dispatchEvent(new Event('submit', { cancelable: true }));
  await settle();
  ros.emit('status', { level: 'error', msg: 'auth: wrong MAC' });
  expect(testid('operator-state').dataset.state).toBe('refused');
  expect(testid('operator-state').textContent).toMatch(/wrong MAC/);
  expect(ros.topics.some((t) => t.name === 'teleop/cmd_vel')).toBe(false);
});
