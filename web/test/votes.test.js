import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/logic/backoff.js';
import { VoteScheduler } from '../src/logic/votes.js';

const F = { linear: 0.3, angular: 0 };
const S = { linear: 0, angular: 0 };

function scheduler(connected = { value: true }) {
  const sent = [];
  const v = new VoteScheduler({
    send: (cmd) => {
      if (!connected.value) return false;
      sent.push(cmd);
      return true;
    },
  });
  return { v, sent, connected };
}

describe('VoteScheduler', () => {
  it('sends on press, re-sends every second while held, one stop on release', () => {
    const { v, sent } = scheduler();
    v.set('pad', F, 0);
    expect(sent).toEqual([F]);
    for (let t = 100; t <= 2500; t += 100) v.tick(t);
    expect(sent).toEqual([F, F, F]); // t=0, 1000, 2000
    v.set('pad', null, 2600);
    for (let t = 2700; t <= 6000; t += 100) v.tick(t);
    expect(sent).toEqual([F, F, F, S]);
  });

  it('lets the latest pressed source win and stops only when all are released', () => {
    const { v, sent } = scheduler();
    const L = { linear: 0, angular: 1.5 };
    v.set('keyboard', F, 0);
    v.set('pad', L, 500);
    expect(sent).toEqual([F, L]);
    v.set('pad', null, 700);
    v.tick(800);
    expect(sent.at(-1)).toEqual(F);
    v.set('keyboard', null, 900);
    expect(sent.at(-1)).toEqual(S);
  });

  it('never queues votes while disconnected and re-sends only the held command', () => {
    const { v, sent, connected } = scheduler();
    connected.value = false;
    v.set('pad', F, 0);
    v.set('pad', null, 100);
    v.set('pad', { linear: -0.3, angular: 0 }, 200);
    v.set('pad', null, 300);
    v.onDisconnected();
    for (let t = 400; t < 3000; t += 100) v.tick(t);
    expect(sent).toEqual([]);
    connected.value = true;
    v.onConnected(3000);
    expect(sent).toEqual([]); // nothing held now: nothing replayed
    connected.value = false;
    v.set('pad', F, 3100);
    connected.value = true;
    v.onConnected(3200);
    expect(sent).toEqual([F]);
  });

  it('rate-limits a moving proportional control', () => {
    const { v, sent } = scheduler();
    for (let t = 0; t < 1000; t += 10) v.set('gamepad', { linear: t / 10000, angular: 0 }, t);
    expect(sent.length).toBeGreaterThan(3);
    expect(sent.length).toBeLessThanOrEqual(5); // every 250 ms at most
  });
});

describe('Backoff', () => {
  it('doubles from 0.5 s up to 5 s', () => {
    const b = new Backoff();
    expect([1, 2, 3, 4, 5, 6].map(() => b.next())).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('starts over after a stable connection or reset()', () => {
    const b = new Backoff();
    b.next();
    b.next();
    expect(b.next(10000)).toBe(500);
    b.next();
    b.reset();
    expect(b.next()).toBe(500);
  });

  it('rejects nonsense parameters', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
  });
});
