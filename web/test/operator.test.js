import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  AUTH_CLIENT, AUTH_LIFETIME_S, DriveRouter, OPERATOR_LEVEL, OperatorSession, STATES, authFields,
  macText, operatorRequested, parseAuthStatus, randomNonce, sha512Hex, twistMessage,
} from '../src/logic/operator.js';
import { VoteScheduler } from '../src/logic/votes.js';
import { precompressDir } from '../plugins/precompress.js';

const { subtle } = globalThis.crypto; // Node's WebCrypto: the same API as the browser's

// Digests from the gateway's own implementation (kropbot_gateway.auth.mac), so the page and
// the gateway agree byte for byte; the first is rosauth's field order on rosauth's test secret.
const PY_MAC_ASCII = '968af17f5fcbd415b1f0630b0f7d472a63a152b1c0efa571a1044f3f103302ea'
  + 'af8c5aeba402ffcd71f25c0599dc068c488a6ecdab41b67a6c730e97b01b55c3';
const PY_MAC_UTF8 = '4f36757713aabdf4b50d419a26331300ba256bab7fc1ef3b56d7cdfcf20faaf6'
  + 'c08d8f5b3a186a4d36d49c2eedb803c7fd98d5208c7493ba325c0c747965f14f';

describe('the rosauth MAC', () => {
  it('hashes the fields in rosauth order, times as integer seconds', async () => {
    expect(macText('s', 'c', 'd', 'r', 1700000000.9, 'admin', 1700003600.2))
      .toBe('scdr1700000000admin1700003600');
    const fields = await authFields({
      secret: 'abcdefghijklmnop', dest: 'robot.local', nowMs: 1700000000_500, subtle, rand: 'r1',
    });
    expect(fields).toEqual({
      mac: PY_MAC_ASCII, client: AUTH_CLIENT, dest: 'robot.local', rand: 'r1', t: 1700000000,
      level: OPERATOR_LEVEL, end: 1700000000 + AUTH_LIFETIME_S,
    });
  });

  it('encodes the secret as UTF-8 like the gateway', async () => {
    const text = macText('pässwörd-🤖-0123456789', AUTH_CLIENT, '127.0.0.1', 'ab', 1700000000,
      'admin', 1700003600);
    expect(await sha512Hex(text, subtle)).toBe(PY_MAC_UTF8);
  });

  it('makes 32-hex-digit nonces', () => {
    const a = randomNonce(globalThis.crypto);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(randomNonce(globalThis.crypto)).not.toBe(a);
  });
});

describe('auth status and operator messages', () => {
  it('reads the gateway answer to an auth op', () => {
    expect(parseAuthStatus({ op: 'status', level: 'info', msg: 'auth: authenticated as operator' }))
      .toEqual({ ok: true, role: 'operator' });
    expect(parseAuthStatus({ level: 'error', msg: 'auth: wrong MAC' }))
      .toEqual({ ok: false, reason: 'wrong MAC' });
    expect(parseAuthStatus({ level: 'error', msg: 'auth: authenticated as operator' }).ok)
      .toBe(false);
    expect(parseAuthStatus({ level: 'warning', msg: 'vote rate limit exceeded' })).toBeNull();
    expect(parseAuthStatus(null)).toBeNull();
    expect(parseAuthStatus({ msg: 42 })).toBeNull();
  });

  it('builds Twist commands and reads the ?operator flag', () => {
    expect(twistMessage({ linear: 0.2, angular: -1 })).toEqual(
      { linear: { x: 0.2, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -1 } });
    expect(operatorRequested('?operator')).toBe(true);
    expect(operatorRequested('?ws=x&operator=1')).toBe(true);
    expect(operatorRequested('?ws=x')).toBe(false);
  });
});

function session({ connected = true, available = true } = {}) {
  const log = { sent: [], states: [], made: [] };
  const s = new OperatorSession({
    available,
    makeAuth: async (secret) => {
      log.made.push(secret);
      return { mac: `mac-of-${secret}-${log.made.length}` };
    },
    send: (fields) => {
      if (!log.connected) return false;
      log.sent.push(fields);
      return true;
    },
    onChange: (state, detail) => log.states.push([state, detail]),
  });
  log.connected = connected;
  return { s, log };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const OK = { level: 'info', msg: 'auth: authenticated as operator' };

describe('OperatorSession', () => {
  it('signs in, re-authenticates with a fresh MAC after a reconnect, and leaves', async () => {
    const { s, log } = session();
    s.start('secret-1234567890', true);
    await flush();
    expect(s.state).toBe(STATES.signingIn);
    expect(log.sent).toEqual([{ mac: 'mac-of-secret-1234567890-1' }]);
    expect(s.status({ level: 'warning', msg: 'vote rate limit exceeded' })).toBe(false);
    expect(s.status(OK)).toBe(true);
    expect(s.active).toBe(true);
    s.disconnected();
    expect(s.state).toBe(STATES.signingIn);
    s.connected();
    await flush();
    expect(log.sent.map((f) => f.mac)).toEqual(
      ['mac-of-secret-1234567890-1', 'mac-of-secret-1234567890-2']);
    s.status(OK);
    expect(s.active).toBe(true);
    s.stop();
    expect(s.state).toBe(STATES.off);
    s.connected();
    await flush();
    expect(log.sent).toHaveLength(2); // no secret: nothing sent on the next connection
  });

  it('a refusal shows the reason and forgets the secret', async () => {
    const { s, log } = session();
    s.start('wrong-secret-000000', true);
    await flush();
    s.status({ level: 'error', msg: 'auth: wrong MAC' });
    expect(log.states.at(-1)).toEqual([STATES.refused, 'wrong MAC']);
    s.connected();
    await flush();
    expect(log.sent).toHaveLength(1);
  });

  it('a bot-only secret is not an operator', async () => {
    const { s } = session();
    s.start('pilot-secret-00000000', true);
    await flush();
    s.status({ level: 'info', msg: 'auth: authenticated as bot' });
    expect(s.state).toBe(STATES.refused);
    expect(s.detail).toMatch(/not operator/);
  });

  it('waits for the connection, and is unavailable without SubtleCrypto', async () => {
    const { s, log } = session({ connected: false });
    s.start('secret-1234567890', false);
    await flush();
    expect(log.sent).toEqual([]);
    log.connected = true;
    s.connected();
    await flush();
    expect(log.sent).toHaveLength(1);
    const off = session({ available: false });
    off.s.start('secret-1234567890', true);
    expect(off.s.state).toBe(STATES.unavailable);
    expect(off.s.detail).toMatch(/https/);
    expect(off.log.made).toEqual([]);
    const empty = session();
    empty.s.start('', true);
    expect(empty.s.state).toBe(STATES.refused);
  });
});

describe('DriveRouter', () => {
  it('sends the controls to the active mode; switching stops the old one', () => {
    const sent = { crowd: [], operator: [] };
    const router = new DriveRouter({
      crowd: new VoteScheduler({ send: (c) => sent.crowd.push(c) }),
      operator: new VoteScheduler({ send: (c) => sent.operator.push(c), resendMs: 100,
        minIntervalMs: 33 }),
    });
    const fwd = { linear: 0.3, angular: 0 };
    router.set('pad', fwd, 0);
    expect(sent.crowd).toEqual([fwd]);
    router.use('operator', 10);
    expect(sent.crowd.at(-1)).toEqual({ linear: 0, angular: 0 }); // the crowd vote released
    router.set('pad', fwd, 20);
    for (let t = 20; t <= 1020; t += 50) router.tick(t); // held for 1 s
    expect(sent.operator.length).toBeGreaterThanOrEqual(9); // ~10 Hz steady while held
    expect(sent.operator.every((c) => c === fwd)).toBe(true);
    router.set('pad', null, 1030);
    expect(sent.operator.at(-1)).toEqual({ linear: 0, angular: 0 }); // stop on release
    const before = sent.operator.length;
    for (let t = 1050; t <= 2000; t += 50) router.tick(t);
    expect(sent.operator).toHaveLength(before); // released: nothing more (the crowd resumes)
    expect(sent.crowd).toHaveLength(2);
  });
});

describe('the build plugin precompresses text assets', () => {
  it('writes .gz and .br next to compressible files and skips small or binary ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'precompress-'));
    try {
      const js = 'export const kropbot = "drive it together";\n'.repeat(100);
      await writeFile(join(dir, 'app-1a2b.js'), js);
      await writeFile(join(dir, 'tiny.js'), 'x');
      await writeFile(join(dir, 'photo.png'), Buffer.alloc(4096, 7));
      const report = await precompressDir(dir);
      expect(report.map((r) => r.file)).toEqual(['app-1a2b.js']);
      expect(gunzipSync(await readFile(join(dir, 'app-1a2b.js.gz'))).toString()).toBe(js);
      expect(brotliDecompressSync(await readFile(join(dir, 'app-1a2b.js.br'))).toString()).toBe(js);
      expect(report[0].br).toBeLessThan(report[0].gz);
      await expect(stat(join(dir, 'tiny.js.gz'))).rejects.toThrow();
      await expect(stat(join(dir, 'photo.png.gz'))).rejects.toThrow();
      // the siblings are at least as new as their source (the gateway checks that)
      const src = await stat(join(dir, 'app-1a2b.js'));
      expect((await stat(join(dir, 'app-1a2b.js.br'))).mtimeMs).toBeGreaterThanOrEqual(src.mtimeMs);
      // a file that no longer compresses loses a stale sibling
      const random = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 251));
      await writeFile(join(dir, 'noise.txt'), random);
      await writeFile(join(dir, 'noise.txt.gz'), 'stale');
      await utimes(join(dir, 'noise.txt.gz'), new Date(0), new Date(0));
      await precompressDir(dir);
      const noise = await stat(join(dir, 'noise.txt.gz')).catch(() => null);
      if (noise) expect(gunzipSync(await readFile(join(dir, 'noise.txt.gz')))).toEqual(random);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
