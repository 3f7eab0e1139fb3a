import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CrowdLink } from '../src/connection.js';

// Minimal stand-ins for roslibjs Ros/Topic: record what the page does with them.
class FakeRos {
  static all = [];

  constructor() {
    this.auths = [];
    this.handlers = {};
    this.isConnected = false;
    this.closed = false;
    FakeRos.all.push(this);
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

  drop() {
    this.isConnected = false;
    this.emit('close');
  }

  close() {
    this.closed = true;
  }

  authenticate(...args) {
    this.auths.push(args);
  }

  once(ev, fn) {
    this.on(ev, fn);
  }

  callOnConnection(msg) {
    (this.sent ??= []).push(msg);
  }
}

class FakeTopic {
  constructor(opts) {
    Object.assign(this, opts);
    this.published = [];
    this.ros.topics = [...(this.ros.topics ?? []), this];
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

// A started link with fake roslibjs classes; `handlers` are added to start()'s.
function makeLink({ handlers = {}, ...opts } = {}) {
  const states = [];
  const link = new CrowdLink({
    url: 'ws://robot:9090/', RosClass: FakeRos, TopicClass: FakeTopic, ...opts,
  });
  link.start({ onState: (s, info) => states.push([s, info?.retryInMs]), ...handlers });
  return { link, states };
}

describe('CrowdLink', () => {
  beforeEach(() => {
    FakeRos.all = [];
    vi.useFakeTimers();
  });

  afterEach(() => vi.useRealTimers());

  it('subscribes and advertises on connection, and publishes only while connected', () => {
    const { link, states } = makeLink();
    expect(link.publishVote({ v: 1 })).toBe(false);
    const ros = FakeRos.all[0];
    ros.open();
    const byName = Object.fromEntries(ros.topics.map((t) => [t.name, t]));
    expect(byName['camera/image_raw/compressed'].compression).toBe('cbor');
    expect(byName['camera/image_raw/compressed'].callback).toBeTypeOf('function');
    expect(byName['crowd/status'].callback).toBeTypeOf('function');
    expect(byName['crowd/vote'].advertised).toBe(true);
    expect(ros.topics.every((t) => t.reconnect_on_close === false)).toBe(true);
    expect(link.publishVote({ v: 2 })).toBe(true);
    expect(byName['crowd/vote'].published).toEqual([{ v: 2 }]);
    expect(states.map((s) => s[0])).toEqual(['connecting', 'connected']);
  });

  it('connects to its URL and hands messages to the start() handlers', () => {
    const got = [];
    const { link } = makeLink({
      handlers: { onStatus: (m) => got.push(['status', m]), onImage: (m) => got.push(['image', m]) },
    });
    const ros = FakeRos.all[0];
    expect(ros.url).toBe('ws://robot:9090/');
    ros.open();
    for (const t of ros.topics) t.callback?.({ from: t.name });
    expect(got).toEqual([
      ['status', { from: 'crowd/status' }],
      ['image', { from: 'camera/image_raw/compressed' }],
    ]);
    link.stop();
    expect(ros.closed).toBe(true);
  });

  it('reconnects with backoff using fresh Ros objects, never reusing the old one', () => {
    const disconnected = vi.fn();
    const { link, states } = makeLink({ handlers: { onDisconnected: disconnected } });
    FakeRos.all[0].open();
    FakeRos.all[0].drop();
    expect(disconnected).toHaveBeenCalledOnce();
    expect(FakeRos.all[0].closed).toBe(true);
    expect(link.publishVote({})).toBe(false);
    expect(states.at(-1)).toEqual(['reconnecting', 500]);
    vi.advanceTimersByTime(499);
    expect(FakeRos.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeRos.all).toHaveLength(2);
    FakeRos.all[1].drop(); // refused again: the delay doubles
    expect(states.at(-1)).toEqual(['reconnecting', 1000]);
    vi.advanceTimersByTime(1000);
    const ros3 = FakeRos.all[2];
    ros3.open();
    expect(link.publishVote({ v: 3 })).toBe(true);
    expect(ros3.topics.find((t) => t.name === 'crowd/vote').published).toEqual([{ v: 3 }]);
    // A late event from a dropped connection changes nothing.
    FakeRos.all[0].emit('close');
    expect(link.connected).toBe(true);
  });

  it('operator: auth op and teleop only on an open connection; status ops are handed over', () => {
    const statuses = [];
    const { link } = makeLink({ handlers: { onServerStatus: (m) => statuses.push(m) } });
    const fields = { mac: 'm', client: 'c', dest: 'd', rand: 'r', t: 1, level: 'admin', end: 2 };
    expect(link.authenticate(fields)).toBe(false); // never queued for a later connection
    const ros = FakeRos.all[0];
    ros.open();
    expect(link.publishTeleop({ linear: {} })).toBe(false); // not enabled yet
    expect(link.authenticate(fields)).toBe(true);
    expect(ros.auths).toEqual([['m', 'c', 'd', 'r', 1, 'admin', 2]]);
    ros.emit('status', { level: 'info', msg: 'auth: authenticated as operator' });
    expect(statuses).toEqual([{ level: 'info', msg: 'auth: authenticated as operator' }]);
    link.enableTeleop();
    const teleop = ros.topics.find((t) => t.name === 'teleop/cmd_vel');
    expect(teleop.messageType).toBe('geometry_msgs/msg/Twist');
    expect(teleop.advertised).toBe(true);
    expect(link.publishTeleop({ linear: { x: 1 } })).toBe(true);
    expect(teleop.published).toEqual([{ linear: { x: 1 } }]);
    // restart(): a fresh connection, on which teleop is not enabled
    link.restart();
    expect(ros.closed).toBe(true);
    vi.advanceTimersByTime(500);
    FakeRos.all[1].open();
    expect(link.publishTeleop({})).toBe(false);
    expect(FakeRos.all[1].topics.some((t) => t.name === 'teleop/cmd_vel')).toBe(false);
    ros.emit('status', { level: 'info', msg: 'late, from the old socket' });
    expect(statuses).toHaveLength(1);
  });

  it('crowd modes: crowd/you behind the gateway, mode votes, moderation for the operator', () => {
    const got = [];
    const { link } = makeLink({ handlers: { onYou: (m) => got.push(['you', m]),
      onConnections: (m) => got.push(['connections', m]),
      onServerStatus: (m) => got.push(['server', m]) } });
    expect(link.publishModeVote({ data: '{}' })).toBe(false);
    const ros = FakeRos.all[0];
    ros.open();
    const you = ros.topics.find((t) => t.name === 'crowd/you');
    expect(you.messageType).toBe('std_msgs/msg/String');
    you.callback({ data: '{"you": "0a1b2c3d"}' });
    expect(link.publishModeVote({ data: 'a' })).toBe(true);
    expect(link.publishModeVote({ data: 'b' })).toBe(true);
    const modeVote = ros.topics.filter((t) => t.name === 'crowd/mode_vote');
    expect(modeVote).toHaveLength(1); // advertised once
    expect(modeVote[0].advertised).toBe(true);
    expect(modeVote[0].published).toEqual([{ data: 'a' }, { data: 'b' }]);
    expect(link.publishModeration({ data: '{"action":"pause"}' })).toBe(false); // not enabled
    link.enableModeration();
    link.enableModeration(); // once per connection
    expect(ros.topics.filter((t) => t.name === 'crowd/connections')).toHaveLength(1);
    expect(link.publishModeration({ data: '{"action":"pause"}' })).toBe(true);
    expect(link.publishModeration({ data: '{"action":"resume"}' })).toBe(true);
    const [pause, resume] = ros.sent;
    expect(pause).toMatchObject({ op: 'publish', topic: 'crowd/moderation',
      msg: { data: '{"action":"pause"}' } });
    expect(pause.id).not.toBe(resume.id);
    ros.emit(`status:${resume.id}`, { level: 'info', msg: 'moderation: crowd resumed' });
    ros.topics.find((t) => t.name === 'crowd/connections').callback({ data: '{"total":1}' });
    expect(got).toEqual([['you', { data: '{"you": "0a1b2c3d"}' }],
      ['server', { level: 'info', msg: 'moderation: crowd resumed' }],
      ['connections', { data: '{"total":1}' }]]);
    // the stock rosbridge mode has no gateway topics
    makeLink({ gatewayTopics: false });
    FakeRos.all[1].open();
    expect(FakeRos.all[1].topics.some((t) => t.name === 'crowd/you')).toBe(false);
  });

  it('gives up on a connection attempt that hangs and tries again', () => {
    const { link } = makeLink({ connectTimeoutMs: 1000 });
    vi.advanceTimersByTime(1000);
    expect(FakeRos.all[0].closed).toBe(true);
    vi.advanceTimersByTime(500);
    expect(FakeRos.all).toHaveLength(2);
    FakeRos.all[0].open(); // the abandoned socket opens late: closed, not used
    expect(link.connected).toBe(false);
  });
});
