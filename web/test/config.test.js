import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, loadConfig, parseConfig } from '../src/logic/config.js';

const CLIENT = { voterId: 'client', rosbridgePort: 9090 };

describe('parseConfig', () => {
  it('reads both modes and ignores unknown keys', () => {
    expect(parseConfig({ voter_id: 'server' })).toEqual({ config: DEFAULT_CONFIG, warning: null });
    expect(parseConfig({})).toEqual({ config: DEFAULT_CONFIG, warning: null });
    expect(parseConfig({ voter_id: 'server', rosbridge_port: 9090 }).config).toEqual(DEFAULT_CONFIG);
    expect(parseConfig({ voter_id: 'client', rosbridge_port: 9090, future: 1 }))
      .toEqual({ config: CLIENT, warning: null });
  });

  it('falls back to the defaults, with a reason, on anything invalid', () => {
    const bad = [
      null, [], 'client', 42,
      { voter_id: 'anyone' },
      { voter_id: 'client' },
      { voter_id: 'client', rosbridge_port: '9090' },
      { voter_id: 'client', rosbridge_port: 90.5 },
      { voter_id: 'client', rosbridge_port: 0 },
      { voter_id: 'client', rosbridge_port: 65536 },
    ];
    for (const raw of bad) {
      const { config, warning } = parseConfig(raw);
      expect(config).toBe(DEFAULT_CONFIG);
      expect(warning).toMatch(/^config\.json ignored: /);
    }
    expect(parseConfig({ voter_id: 'client', rosbridge_port: 0 }).warning).toMatch(/rosbridge_port/);
  });
});

// A fetch stand-in answering with `status` and `body`, recording its calls.
function fakeFetch(status, body) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, init });
    return { ok: status >= 200 && status < 300, status, text: async () => body };
  };
  return { fn, calls };
}

describe('loadConfig', () => {
  afterEach(() => vi.useRealTimers());

  it('fetches ./config.json uncached, asking for JSON', async () => {
    const { fn, calls } = fakeFetch(200, '{"voter_id": "client", "rosbridge_port": 9090}');
    expect(await loadConfig({ fetch: fn })).toEqual({ config: CLIENT, warning: null });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('./config.json');
    expect(calls[0].init.cache).toBe('no-store');
    expect(calls[0].init.headers.Accept).toBe('application/json');
    expect(calls[0].init.signal).toBeInstanceOf(AbortSignal);
  });

  it('uses the defaults silently on 404 (no config.json, e.g. the Vite dev server)', async () => {
    const { fn } = fakeFetch(404, 'not found');
    expect(await loadConfig({ fetch: fn })).toEqual({ config: DEFAULT_CONFIG, warning: null });
  });

  it('uses the defaults with a warning on errors, HTML or broken JSON', async () => {
    const cases = [
      fakeFetch(500, '').fn,
      fakeFetch(200, '<!doctype html><html></html>').fn, // a dev server's SPA fallback
      fakeFetch(200, '{"voter_id": "client", ').fn,
      async () => { throw new TypeError('Failed to fetch'); },
    ];
    for (const fn of cases) {
      const { config, warning } = await loadConfig({ fetch: fn });
      expect(config).toBe(DEFAULT_CONFIG);
      expect(warning).toBeTruthy();
    }
  });

  it('gives up after the timeout and aborts the request', async () => {
    vi.useFakeTimers();
    let signal;
    const hang = (url, init) => {
      signal = init.signal;
      return new Promise(() => {});
    };
    const result = loadConfig({ fetch: hang, timeoutMs: 500 });
    await vi.advanceTimersByTimeAsync(499);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { config, warning } = await result;
    expect(config).toBe(DEFAULT_CONFIG);
    expect(warning).toMatch(/500 ms/);
    expect(signal.aborted).toBe(true);
  });

  it('also times out a body that never finishes', async () => {
    vi.useFakeTimers();
    const slowBody = async () => ({ ok: true, status: 200, text: () => new Promise(() => {}) });
    const result = loadConfig({ fetch: slowBody, timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(100);
    expect((await result).config).toBe(DEFAULT_CONFIG);
  });
});
