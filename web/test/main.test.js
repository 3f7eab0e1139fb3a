// @vitest-environment happy-dom
// @vitest-environment-options {"url": "http://robot.local:8000/"}
// main.js composed on the real index.html, with roslibjs replaced by recording stand-ins: the
// page's start-up in both voter-id modes (config.json), end to end inside the page.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const sockets = vi.hoisted(() => []);
vi.mock('roslib', () => {
  class Ros {
    constructor() {
      this.handlers = {};
      this.isConnected = false;
      this.topics = [];
      sockets.push(this);
    }

    on(ev, fn) {
      (this.handlers[ev] ??= []).push(fn);
    }

    connect(url) {
      this.url = url;
      return Promise.resolve();
    }

    open() {
      this.isConnected = true;
      for (const fn of this.handlers.connection ?? []) fn();
    }

    close() {}
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

    advertise() {}

    publish(msg) {
      this.published.push(msg);
    }
  }
  return { Ros, Topic };
});

const html = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'index.html'), 'utf8');
const body = html.slice(html.indexOf('<body>') + 6, html.indexOf('</body>'))
  .replace(/<script[\s\S]*?<\/script>/g, '');

async function startPage(configResponse) {
  const fetches = [];
  vi.stubGlobal('fetch', async (url, init) => {
    fetches.push({ url, init });
    return configResponse;
  });
  await import('../src/main.js'); // top-level await: resolves once composed and connecting
  const ros = sockets.at(-1);
  ros.open();
  const topic = (name) => ros.topics.find((t) => t.name === name);
  const testid = (id) => document.querySelector(`[data-testid="${id}"]`);
  return { fetches, ros, topic, testid };
}

const json = (obj) => ({ ok: true, status: 200, text: async () => JSON.stringify(obj) });
const press = (el) => el.dispatchEvent(
  new PointerEvent('pointerdown', { bubbles: true, cancelable: true, pointerId: 1 }),
);

describe('main.js', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
    });
    vi.resetModules();
    sockets.length = 0;
    document.body.innerHTML = body;
    delete document.body.dataset.voterMode;
    delete document.body.dataset.voterId;
    sessionStorage.clear();
  });

  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('without config.json: gateway on the page origin, empty frame_id, no note', async () => {
    const page = await startPage({ ok: false, status: 404, text: async () => 'not found' });
    expect(page.fetches[0].url).toBe('./config.json');
    expect(page.ros.url).toBe('ws://robot.local:8000/');
    expect(document.body.dataset.voterMode).toBe('server');
    expect(document.body.dataset.voterId).toBeUndefined();
    expect(page.testid('voter-mode').hidden).toBe(true);
    expect(page.testid('conn-state').dataset.state).toBe('connected');
    expect(document.querySelectorAll('[data-testid^="pad-"]')).toHaveLength(9);
    expect(document.querySelectorAll('[data-testid^="hist-"]')).toHaveLength(9);

    press(page.testid('pad-forward'));
    const votes = page.topic('crowd/vote').published;
    expect(votes).toHaveLength(1);
    expect(votes[0].header.frame_id).toBe('');
    expect(votes[0].twist.linear.x).toBeCloseTo(0.3);
    expect(page.testid('pad-forward').getAttribute('aria-pressed')).toBe('true');

    // crowd/status reaches the panel and its limits the held button.
    page.topic('crowd/status').callback({
      data: JSON.stringify({ voters: 1, histogram: { forward: 1 }, command: { linear: 0.5 },
        max_linear: 0.5, max_angular: 1.5 }),
    });
    expect(page.testid('drivers').textContent).toBe('1');
    expect(page.testid('command-arrow').dataset.bin).toBe('forward');
    vi.advanceTimersByTime(300);
    expect(votes.at(-1).twist.linear.x).toBeCloseTo(0.5);
  });

  it('with voter_id "client": rosbridge port, per-tab frame_id, visible note', async () => {
    const page = await startPage(json({ voter_id: 'client', rosbridge_port: 9090 }));
    expect(page.ros.url).toBe('ws://robot.local:9090/');
    const id = document.body.dataset.voterId;
    expect(document.body.dataset.voterMode).toBe('client');
    expect(id).toMatch(/^tab-[0-9a-f-]{36}$/);
    expect(sessionStorage.getItem('kropbot.voterId')).toBe(id);
    expect(page.testid('voter-mode').hidden).toBe(false);
    expect(page.testid('voter-mode').textContent).toMatch(/votes are not authenticated/);

    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', cancelable: true }));
    window.dispatchEvent(new KeyboardEvent('keyup', { key: 'ArrowUp', cancelable: true }));
    vi.advanceTimersByTime(300);
    const votes = page.topic('crowd/vote').published;
    expect(votes.map((v) => v.twist.linear.x)).toEqual([0.3, 0]); // forward, then one stop
    expect(votes.every((v) => v.header.frame_id === id)).toBe(true);
  });

  it('keeps the id across a reload of the same tab', async () => {
    sessionStorage.setItem('kropbot.voterId', 'tab-0f0e0d0c-0b0a-4908-8706-050403020100');
    await startPage(json({ voter_id: 'client', rosbridge_port: 9090 }));
    expect(document.body.dataset.voterId).toBe('tab-0f0e0d0c-0b0a-4908-8706-050403020100');
  });

  it('behind the gateway: crowd/you gives the token and the watching note; pause banner; '
    + 'mode votes', async () => {
    const page = await startPage({ ok: false, status: 404, text: async () => 'not found' });
    const { voterToken } = await import('../src/logic/modes.js');
    const me = voterToken('ws-000000000001');
    page.topic('crowd/you').callback({ data: JSON.stringify({ you: me, role: 'crowd',
      counted: false, why: 'too many voters from your network' }) });
    expect(page.testid('watching').hidden).toBe(false);
    page.topic('crowd/status').callback({
      data: JSON.stringify({ voters: 2, mode: 'queue', paused: true, switch: { enabled: true,
        active: false, anarchy: 0, democracy: 0, threshold: 0.75 }, queue: {
        turn_duration: 30, driver: voterToken('ws-other'), turn_left: 10, idle_left: null,
        length: 1, waiting: [me] } }),
    });
    expect(page.testid('mode-detail').textContent).toBe('your turn in 0:10 (position 1 of 1)');
    expect(page.testid('paused-banner').hidden).toBe(false);
    expect(page.testid('paused-banner').textContent).toMatch(/Paused by the operator/);
    page.topic('crowd/status').callback({ data: JSON.stringify({ voters: 2, paused: false }) });
    expect(page.testid('paused-banner').hidden).toBe(true);
    page.testid('mode-vote-democracy').click();
    const sent = page.topic('crowd/mode_vote').published;
    expect(sent.map((m) => JSON.parse(m.data))).toEqual([{ voter: '', mode: 'democracy' }]);
    vi.advanceTimersByTime(20000); // re-sent every 20 s while chosen
    expect(sent).toHaveLength(2);
  });

  it('shows the crowd mode and finds this tab in the queue by its own token', async () => {
    const id = 'tab-0f0e0d0c-0b0a-4908-8706-050403020100';
    sessionStorage.setItem('kropbot.voterId', id);
    const page = await startPage(json({ voter_id: 'client', rosbridge_port: 9090 }));
    const { voterToken } = await import('../src/logic/modes.js');
    page.topic('crowd/status').callback({
      data: JSON.stringify({ voters: 2, mode: 'queue', queue: {
        turn_duration: 30, driver: voterToken('tab-other'), turn_left: 10, idle_left: null,
        length: 1, waiting: [voterToken(id)] } }),
    });
    expect(page.testid('modes').dataset.mode).toBe('queue');
    expect(page.testid('mode-detail').textContent).toBe('your turn in 0:10 (position 1 of 1)');
    expect(page.testid('pad').dataset.padState).toBe('wait');
    expect(page.testid('drivers').textContent).toBe('2'); // the crowd panel still renders
    vi.advanceTimersByTime(4000); // the countdown runs between statuses
    expect(page.testid('mode-detail').textContent).toBe('your turn in 0:06 (position 1 of 1)');
  });
});
