import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  VOTER_ID_KEY, VOTER_ID_PATTERN, randomUuid, tabVoterId, uuidFromBytes,
} from '../src/logic/voter-id.js';

class MemoryStorage {
  constructor() {
    this.items = new Map();
  }

  getItem(k) {
    return this.items.has(k) ? this.items.get(k) : null;
  }

  setItem(k, v) {
    this.items.set(k, String(v));
  }
}

const broken = {
  getItem() { throw new Error('SecurityError'); },
  setItem() { throw new Error('QuotaExceededError'); },
};

describe('uuidFromBytes', () => {
  it('formats a version 4, variant 10 UUID', () => {
    expect(uuidFromBytes(new Uint8Array(16))).toBe('00000000-0000-4000-8000-000000000000');
    expect(uuidFromBytes(new Uint8Array(16).fill(255))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(() => uuidFromBytes(new Uint8Array(15))).toThrow(RangeError);
  });
});

describe('randomUuid', () => {
  it('uses randomUUID where it exists and getRandomValues otherwise (plain-http pages)', () => {
    expect(randomUuid({ randomUUID: () => 'from-randomUUID' })).toBe('from-randomUUID');
    const insecure = { getRandomValues: (a) => webcrypto.getRandomValues(a) };
    const a = randomUuid(insecure);
    expect(`tab-${a}`).toMatch(VOTER_ID_PATTERN);
    expect(randomUuid(insecure)).not.toBe(a);
  });
});

describe('tabVoterId', () => {
  it('makes a tab-<uuid> id and keeps it for the tab (reload)', () => {
    const storage = new MemoryStorage();
    const id = tabVoterId({ storage, crypto: webcrypto });
    expect(id).toMatch(VOTER_ID_PATTERN);
    expect(storage.getItem(VOTER_ID_KEY)).toBe(id);
    expect(tabVoterId({ storage, crypto: webcrypto })).toBe(id);
  });

  it('gives another tab (another sessionStorage) another id', () => {
    const a = tabVoterId({ storage: new MemoryStorage(), crypto: webcrypto });
    const b = tabVoterId({ storage: new MemoryStorage(), crypto: webcrypto });
    expect(a).not.toBe(b);
  });

  it('replaces a stored value that is not an id', () => {
    const storage = new MemoryStorage();
    storage.setItem(VOTER_ID_KEY, 'admin');
    const id = tabVoterId({ storage, crypto: webcrypto });
    expect(id).toMatch(VOTER_ID_PATTERN);
    expect(storage.getItem(VOTER_ID_KEY)).toBe(id);
  });

  it('still works without usable storage (the id lasts as long as the page)', () => {
    expect(tabVoterId({ storage: broken, crypto: webcrypto })).toMatch(VOTER_ID_PATTERN);
    expect(tabVoterId({ storage: null, crypto: webcrypto })).toMatch(VOTER_ID_PATTERN);
  });
});
