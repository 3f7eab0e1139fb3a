import { describe, expect, it } from 'vitest';
import { socketUrl } from '../src/logic/endpoint.js';

const loc = (href) => {
  const u = new URL(href);
  return { protocol: u.protocol, host: u.host, hostname: u.hostname, search: u.search };
};
const CLIENT = { voterId: 'client', rosbridgePort: 9091 };

describe('socketUrl', () => {
  it('uses the page origin by default, wss for https', () => {
    expect(socketUrl(loc('http://robot:9090/'))).toBe('ws://robot:9090/');
    expect(socketUrl(loc('https://robot.example/'))).toBe('wss://robot.example/');
    expect(socketUrl(loc('http://robot:9090/'), { voterId: 'server', rosbridgePort: null }))
      .toBe('ws://robot:9090/');
  });

  it('goes to rosbridge_port on the page hostname in client mode', () => {
    expect(socketUrl(loc('http://robot.local:8000/'), CLIENT)).toBe('ws://robot.local:9091/');
    expect(socketUrl(loc('https://robot.local/'), CLIENT)).toBe('wss://robot.local:9091/');
    expect(socketUrl(loc('http://[::1]:8000/'), CLIENT)).toBe('ws://[::1]:9091/');
    expect(socketUrl(loc('http://127.0.0.1:8000/sub/path/'), CLIENT)).toBe('ws://127.0.0.1:9091/');
  });

  it('lets ?ws= override in every mode', () => {
    const dev = loc('http://localhost:5173/?ws=ws://pi:9090/');
    expect(socketUrl(dev)).toBe('ws://pi:9090/');
    expect(socketUrl(dev, CLIENT)).toBe('ws://pi:9090/');
  });
});
