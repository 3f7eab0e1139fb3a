/**
 * The page's link to the rosbridge-protocol server (the crowd gateway, or stock rosbridge in the
 * stock rosbridge mode): one roslibjs Ros per connection attempt, the three topics, and
 * automatic reconnection (roslibjs itself does not reconnect). The URL comes from
 * logic/endpoint.js.
 *
 * On every close the Ros and Topic objects are dropped and, after a backoff delay, created
 * anew and re-subscribed. Votes are published only while connected: roslibjs would otherwise
 * queue them (Ros.callOnConnection) and replay stale votes after a reconnect.
 *
 * Operator mode (logic/operator.js): `authenticate()` sends the rosbridge `auth` op through
 * Ros.authenticate() on the open connection only; the gateway's `status` ops reach
 * `onServerStatus`; once authenticated, `enableTeleop()` advertises teleop/cmd_vel on this
 * connection and `publishTeleop()` sends the operator's commands (again only while connected),
 * and `enableModeration()` subscribes to the gateway's crowd/connections (`onConnections`) and
 * lets `publishModeration()` send commands on its crowd/moderation. Each command is a rosbridge
 * `publish` op with its own id, so the gateway's answer (a `status` op echoing the id, which
 * roslibjs emits as `status:<id>`) reaches `onServerStatus` too.
 *
 * Crowd modes: `publishModeVote()` sends a crowd/mode_vote. Behind the crowd gateway
 * (`gatewayTopics`), every connection also subscribes to the gateway's own crowd/you (this
 * connection's voter token and whether its votes count: `onYou`); stock rosbridge has no such
 * topic.
 */
import { Ros, Topic } from 'roslib';
import { Backoff } from './logic/backoff.js';

export const TOPICS = Object.freeze({
  image: { name: 'camera/image_raw/compressed', type: 'sensor_msgs/msg/CompressedImage' },
  status: { name: 'crowd/status', type: 'std_msgs/msg/String' },
  vote: { name: 'crowd/vote', type: 'geometry_msgs/msg/TwistStamped' },
  teleop: { name: 'teleop/cmd_vel', type: 'geometry_msgs/msg/Twist' },
  modeVote: { name: 'crowd/mode_vote', type: 'std_msgs/msg/String' },
  // the crowd gateway's own topics (src/kropbot_gateway/doc/gateway.md, "Moderation")
  you: { name: 'crowd/you', type: 'std_msgs/msg/String' },
  moderation: { name: 'crowd/moderation', type: 'std_msgs/msg/String' },
  connections: { name: 'crowd/connections', type: 'std_msgs/msg/String' },
});

export class CrowdLink {
  /**
   * @param {{url: string, gatewayTopics?: boolean, backoff?: Backoff,
   *   connectTimeoutMs?: number, RosClass?: typeof Ros, TopicClass?: typeof Topic}} opts - the
   *   WebSocket URL; gatewayTopics: the server is the crowd gateway (subscribe crowd/you; true
   *   by default, false in the stock rosbridge mode); the rest is for tests (connectTimeoutMs:
   *   give up on an attempt after this many ms)
   */
  constructor(opts) {
    this.url = opts.url;
    this.gatewayTopics = opts.gatewayTopics ?? true;
    this._setHandlers({});
    this.backoff = opts.backoff ?? new Backoff();
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.RosClass = opts.RosClass ?? Ros;
    this.TopicClass = opts.TopicClass ?? Topic;
    this.ros = null;
    this.topics = null;
    this.connected = false;
    this.everConnected = false;
    this.openedAt = 0;
    this.retryTimer = null;
    this.stopped = false;
  }

  /**
   * Open the first connection and deliver events to `handlers` from now on.
   *
   * The handlers are given here rather than to the constructor so that the page can create the
   * link first and the consumers of its events (which publish through it) afterwards.
   *
   * @param {{onState?: (state: string, info?: {retryInMs?: number}) => void,
   *   onStatus?: (msg: object) => void, onImage?: (msg: object) => void,
   *   onYou?: (msg: object) => void, onConnections?: (msg: object) => void,
   *   onConnected?: () => void, onDisconnected?: () => void,
   *   onServerStatus?: (status: object) => void}} [handlers] - onState gets
   *   'connecting', 'connected', 'reconnecting' or 'closed'; onStatus/onImage/onYou/
   *   onConnections the crowd/status, camera, crowd/you and crowd/connections messages;
   *   onServerStatus the server's rosbridge `status` ops
   */
  start(handlers = {}) {
    this._setHandlers(handlers);
    this.stopped = false;
    this._connect();
  }

  /** Close for good (no reconnect). */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this._teardown();
  }

  /**
   * Publish one vote if (and only if) the socket is open right now.
   *
   * @param {object} msg - geometry_msgs/msg/TwistStamped
   * @returns {boolean} whether it was sent
   */
  publishVote(msg) {
    if (!this.connected || !this.ros?.isConnected || !this.topics) return false;
    this.topics.vote.publish(msg);
    return true;
  }

  /**
   * Send a rosbridge v2 `auth` op (Ros.authenticate) if the socket is open right now.
   *
   * @param {{mac: string, client: string, dest: string, rand: string, t: number,
   *   level: string, end: number}} f - from logic/operator.js authFields()
   * @returns {boolean} whether it was sent (roslibjs would queue it otherwise)
   */
  authenticate(f) {
    if (!this.connected || !this.ros?.isConnected) return false;
    this.ros.authenticate(f.mac, f.client, f.dest, f.rand, f.t, f.level, f.end);
    return true;
  }

  /** Advertise teleop/cmd_vel on this connection (after the gateway accepted the auth op). */
  enableTeleop() {
    if (!this.connected || !this.topics || this.topics.teleop) return;
    this.topics.teleop = new this.TopicClass({
      ros: this.ros, name: TOPICS.teleop.name, messageType: TOPICS.teleop.type,
      reconnect_on_close: false, queue_size: 1,
    });
    this.topics.teleop.advertise();
  }

  /**
   * Publish one operator command if the socket is open and teleop is enabled on it.
   *
   * @param {object} msg - geometry_msgs/msg/Twist
   * @returns {boolean} whether it was sent
   */
  publishTeleop(msg) {
    if (!this.connected || !this.ros?.isConnected || !this.topics?.teleop) return false;
    this.topics.teleop.publish(msg);
    return true;
  }

  /**
   * Publish one crowd/mode_vote if the socket is open (advertised on first use).
   *
   * @param {{data: string}} msg - std_msgs/msg/String, logic/modes.js modeVoteMessage()
   * @returns {boolean} whether it was sent
   */
  publishModeVote(msg) {
    if (!this.connected || !this.ros?.isConnected || !this.topics) return false;
    if (!this.topics.modeVote) {
      this.topics.modeVote = this._topic(TOPICS.modeVote, { queue_size: 1 });
      this.topics.modeVote.advertise();
    }
    this.topics.modeVote.publish(msg);
    return true;
  }

  /**
   * Operator (after the gateway accepted the auth op): subscribe to crowd/connections and
   * allow moderation commands on this connection.
   */
  enableModeration() {
    if (!this.connected || !this.topics || this.topics.connections) return;
    this.topics.connections = this._topic(TOPICS.connections);
    this.topics.connections.subscribe((m) => this.onConnections(m));
  }

  /**
   * Send one moderation command if the socket is open and moderation is enabled on it.
   *
   * A rosbridge `publish` op on crowd/moderation with an id of its own (roslibjs Topic.publish
   * hides its id, and roslibjs emits a status op with an id only as `status:<id>`): the
   * gateway's answer is handed to `onServerStatus`.
   *
   * @param {{data: string}} msg - logic/moderation.js moderationMessage()
   * @returns {boolean} whether it was sent
   */
  publishModeration(msg) {
    if (!this.connected || !this.ros?.isConnected || !this.topics?.connections) return false;
    const ros = this.ros;
    this.moderationSeq = (this.moderationSeq ?? 0) + 1;
    const id = `moderation:${this.moderationSeq}`;
    ros.once(`status:${id}`, (m) => {
      if (this.ros === ros) this.onServerStatus(m);
    });
    ros.callOnConnection({ op: 'publish', id, topic: TOPICS.moderation.name, msg });
    return true;
  }

  /** Drop this connection and connect anew (e.g. to leave operator mode). */
  restart() {
    if (this.ros) this._closed(this.ros);
  }

  _setHandlers(handlers) {
    const none = () => {};
    this.onState = handlers.onState ?? none;
    this.onStatus = handlers.onStatus ?? none;
    this.onImage = handlers.onImage ?? none;
    this.onYou = handlers.onYou ?? none;
    this.onConnections = handlers.onConnections ?? none;
    this.onConnected = handlers.onConnected ?? none;
    this.onDisconnected = handlers.onDisconnected ?? none;
    this.onServerStatus = handlers.onServerStatus ?? none;
  }

  _connect() {
    this.onState(this.everConnected ? 'reconnecting' : 'connecting');
    const ros = new this.RosClass({});
    this.ros = ros;
    let closed = false;
    const timeout = setTimeout(() => {
      if (!this.connected && this.ros === ros) this._closed(ros);
    }, this.connectTimeoutMs);
    ros.on('connection', () => {
      clearTimeout(timeout);
      if (this.ros !== ros) {
        ros.close(); // opened after we gave up on it
        return;
      }
      this._opened(ros);
    });
    ros.on('close', () => {
      clearTimeout(timeout);
      if (closed) return;
      closed = true;
      this._closed(ros);
    });
    ros.on('error', () => {}); // a close event follows
    ros.on('status', (m) => {
      if (this.ros !== ros) return;
      if (m?.level === 'error' || m?.level === 'warning') {
        console.warn('gateway status:', m?.level, m?.msg);
      }
      this.onServerStatus(m);
    });
    ros.connect(this.url).catch(() => {
      clearTimeout(timeout);
      if (!closed) {
        closed = true;
        this._closed(ros);
      }
    });
  }

  _opened(ros) {
    this.connected = true;
    this.everConnected = true;
    this.openedAt = Date.now();
    const T = this.TopicClass;
    const mk = (t, extra = {}) => new T({
      ros, name: t.name, messageType: t.type, reconnect_on_close: false, ...extra,
    });
    this.topics = {
      status: mk(TOPICS.status),
      image: mk(TOPICS.image, { compression: 'cbor', throttle_rate: 0, queue_length: 1 }),
      vote: mk(TOPICS.vote, { queue_size: 1 }),
    };
    this.topics.status.subscribe((m) => this.onStatus(m));
    this.topics.image.subscribe((m) => this.onImage(m));
    this.topics.vote.advertise();
    if (this.gatewayTopics) {
      this.topics.you = mk(TOPICS.you);
      this.topics.you.subscribe((m) => this.onYou(m));
    }
    this.onState('connected');
    this.onConnected();
  }

  _topic(t, extra = {}) {
    return new this.TopicClass({
      ros: this.ros, name: t.name, messageType: t.type, reconnect_on_close: false, ...extra,
    });
  }

  _closed(ros) {
    if (this.ros !== ros) return;
    const upMs = this.connected ? Date.now() - this.openedAt : 0;
    const wasConnected = this.connected;
    this._teardown();
    if (wasConnected) this.onDisconnected();
    if (this.stopped) {
      this.onState('closed');
      return;
    }
    const delay = this.backoff.next(upMs);
    this.onState(this.everConnected ? 'reconnecting' : 'connecting', { retryInMs: delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._connect(), delay);
  }

  _teardown() {
    const ros = this.ros;
    this.connected = false;
    this.topics = null;
    this.ros = null;
    if (ros) {
      try {
        ros.close();
      } catch {
        // already closed
      }
    }
  }
}
