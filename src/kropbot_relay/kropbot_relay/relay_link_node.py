"""``relay_link`` node: the robot's outbound link to the relay tier (rclpy + Zenoh).

Thin wiring around :class:`kropbot_relay.link.RelayBook`. It connects outbound, in Zenoh client
mode, to a router (so it works behind NAT, no port forwarding), and

- puts each ``camera/image_raw/compressed`` frame once on ``kropbot/<robot>/camera`` (the JPEG
  bytes as they are) and each ``crowd/status`` on ``kropbot/<robot>/status``;
- receives every gateway's vote batches (``kropbot/<robot>/votes/*``) and publishes each one
  as one ``std_msgs/String`` on ``crowd/vote_batch`` (:mod:`kropbot_common.vote_batch`), voter
  ids ``<gateway>/<connection>``: the vote node handles each entry as a vote on ``crowd/vote``,
  so it fuses relayed and local voters together, at one DDS message per batch instead of one
  per vote (``bench/relay_scaling.py``);
- withdraws a gateway's voters (``<gateway>/*``, :mod:`kropbot_common.withdrawal`) when its
  liveliness token goes away or it falls silent, and every relayed voter when the link to the
  router is lost (the batch's ``withdraw`` list);
- declares the robot's liveliness token ``kropbot/<robot>/alive/robot``.

Threads: the Zenoh callbacks publish on ``crowd/vote_batch`` directly (rclpy publishers are
thread-safe, as in the gateway node); a lock guards the book, which the executor's timer also
reads. Key space and payloads: :mod:`kropbot_gateway.keys`, :mod:`kropbot_gateway.relay_wire`.
"""

import threading
import time

from kropbot_common.errors import StartupError
from kropbot_common.ros import declare_parameters, run_node
from kropbot_common.ros_liveliness import declare_sender
from kropbot_common.ros_qos import best_effort_qos, reliable_qos
from kropbot_gateway.keys import KeySpace
from kropbot_gateway.relay_wire import WireError, decode_batch, encode_frame_fields
from rclpy.node import Node
from sensor_msgs.msg import CompressedImage
from std_msgs.msg import String

from kropbot_common import vote_batch
from kropbot_gateway import relay_auth, relay_config
from kropbot_relay.config import PARAMETERS
from kropbot_relay.link import APPLIED, RelayBook

# One message per Zenoh batch: a deep history so a burst is not overwritten before it is sent.
VOTE_BATCH_QOS = reliable_qos(100)
STATUS_QOS = reliable_qos(10)
IMAGE_QOS = best_effort_qos(1)
EXPIRE_PERIOD = 0.05  # s between checks for silent gateways


class RelayLinkNode(Node):
    """The ``relay_link`` node (parameters: :data:`kropbot_relay.config.PARAMETERS`).

    Raises:
        kropbot_common.params.ParameterError: on a bad parameter.
        StartupError: unreadable credentials or an invalid robot name / locator list.

    """

    def __init__(self):
        # destroy_node may run after a failed start: these exist before anything can raise
        self._lock = threading.Lock()
        self._session = self._book = None
        self._frame_pub = self._status_pub = None
        self._entities = []
        super().__init__('relay_link')
        values = declare_parameters(self, PARAMETERS)
        try:
            self.keys = KeySpace(values['robot'])
            credentials = relay_auth.read_credentials(
                values['credentials'] or relay_auth.ensure_demo_credentials().robot)
            zcfg = relay_config.client_config(values['connect'], credentials,
                                              values['tls_ca'] or None,
                                              values['tls_cert'] or None,
                                              values['tls_key'] or None)
        except (ValueError, OSError) as exc:
            raise StartupError(str(exc)) from None
        self._book = RelayBook(values['gateway_timeout'], values['max_delay'])
        self._withdraw = values['withdraw']
        self.stats = {'frames': 0, 'statuses': 0, 'batches': 0, 'votes': 0, 'withdrawals': 0,
                      'bad_batches': 0, 'late': 0, 'duplicate': 0}
        self._vote_pub = self.create_publisher(String, 'crowd/vote_batch', VOTE_BATCH_QOS)
        # if this node dies, the vote node drops the votes within its liveliness lease
        self._presence = declare_sender(self, self._vote_pub.topic_name)
        self.create_subscription(CompressedImage, 'camera/image_raw/compressed', self._on_frame,
                                 IMAGE_QOS)
        self.create_subscription(String, 'crowd/status', self._on_status, STATUS_QOS)
        self.create_timer(EXPIRE_PERIOD, self._on_timer)
        self._opener = threading.Thread(target=self._open, args=(zcfg,), daemon=True)
        self._opener.start()
        self.get_logger().info(
            f'relay link of robot {self.keys.robot} connecting to '
            f'{", ".join(zcfg["connect/endpoints"])} as {credentials[0]!r}')

    # --- Zenoh session --------------------------------------------------------------------

    def _open(self, zcfg):
        """Open the session (blocks until a router answers), then declare everything."""
        import zenoh

        try:
            session = zenoh.open(relay_config.to_zenoh(zcfg))
        except Exception as exc:  # noqa: BLE001 - zenoh.ZError: report; the node keeps running
            self.get_logger().error(f'cannot open the Zenoh session: {exc}')
            return
        drop = zenoh.CongestionControl.DROP
        live = session.liveliness()
        with self._lock:
            self._frame_pub = session.declare_publisher(self.keys.camera,
                                                        congestion_control=drop)
            self._status_pub = session.declare_publisher(self.keys.status,
                                                         congestion_control=drop)
            self._entities = [
                self._frame_pub, self._status_pub,
                session.declare_subscriber(self.keys.votes_all, self._zenoh_batch),
                live.declare_subscriber(self.keys.alive_gateways, self._zenoh_gateway_token,
                                        history=True),
                session.info.declare_transport_events_listener(self._zenoh_transport),
                live.declare_token(self.keys.alive_robot),
            ]
            self._session = session
        self.get_logger().info(f'relay link up: Zenoh session {session.info.zid()}, routers '
                               f'{[str(z) for z in session.info.routers_zid()]}')

    def _zenoh_batch(self, sample):
        if not self.context.ok():  # shutting down: rclpy can no longer publish
            return
        gateway = self.keys.last_chunk(sample.key_expr, 'votes')
        try:
            if gateway is None:
                raise WireError(f'unexpected key {str(sample.key_expr)[:100]}')
            batch = decode_batch(sample.payload.to_bytes())
        except WireError as exc:
            self.stats['bad_batches'] += 1
            self.get_logger().warning(f'dropped a vote batch: {exc}',
                                      throttle_duration_sec=5.0)
            return
        with self._lock:
            outcome = self._book.on_batch(gateway, batch, time.monotonic())
            self.stats['batches'] += 1
            if outcome.result != APPLIED:
                self.stats[outcome.result] += 1
            self._publish(outcome.withdrawals, outcome.votes)

    def _zenoh_gateway_token(self, sample):
        import zenoh

        gateway = self.keys.last_chunk(sample.key_expr, 'alive/gateway')
        if gateway is None or not self.context.ok():
            return
        if sample.kind == zenoh.SampleKind.PUT:
            self.get_logger().info(f'relay gateway {gateway} up')
            return
        with self._lock:
            self._publish(self._book.gateway_gone(gateway), ())
        self.get_logger().warning(f'relay gateway {gateway} gone: its voters withdrawn')

    def _zenoh_transport(self, event):
        import zenoh

        if not self.context.ok():
            return
        if event.kind == zenoh.SampleKind.PUT:
            self.get_logger().info('link to the Zenoh router up')
            return
        with self._lock:
            self._publish(self._book.link_lost(), ())
        self.get_logger().warning('link to the Zenoh router lost: every relayed voter '
                                  'withdrawn')

    # --- ROS side -------------------------------------------------------------------------

    def _publish(self, withdrawals, votes):
        """Publish withdrawals and votes as one ``crowd/vote_batch`` (caller holds the lock).

        Withdrawals only if the ``withdraw`` parameter is on; nothing when both are empty.
        """
        withdrawals = withdrawals if self._withdraw else ()
        if not (withdrawals or votes):
            return
        self._vote_pub.publish(String(data=vote_batch.encode(votes, withdrawals)))
        self.stats['withdrawals'] += len(withdrawals)
        self.stats['votes'] += len(votes)

    def _on_timer(self):
        with self._lock:
            self._publish(self._book.expire(time.monotonic()), ())

    def _on_frame(self, msg):
        pub = self._frame_pub
        if pub is None:
            return
        stamp = msg.header.stamp
        pub.put(encode_frame_fields(stamp.sec, stamp.nanosec, msg.header.frame_id, msg.format,
                                    bytes(msg.data)))
        self.stats['frames'] += 1

    def _on_status(self, msg):
        pub = self._status_pub
        if pub is None:
            return
        pub.put(msg.data.encode())
        self.stats['statuses'] += 1

    def destroy_node(self):
        """Withdraw every relayed voter, close the Zenoh session, then destroy the node."""
        with self._lock:
            session, self._session = self._session, None
            self._frame_pub = self._status_pub = None
            if self._book is not None and self.context.ok():
                self._publish(self._book.link_lost(), ())
        if session is not None:
            for entity in self._entities:
                try:
                    entity.undeclare()
                except Exception:  # noqa: BLE001 - best effort at shutdown
                    pass
            session.close()
        if self._book is not None and self.context.ok():
            self.get_logger().info(f'relay link stopped; stats: {self.stats}; gateways: '
                                   f'{self._book.gateways()}')
        return super().destroy_node()


def main(args=None):
    """Run the ``relay_link`` node; return the exit code (1: bad parameter or credentials)."""
    return run_node(RelayLinkNode, args, name='relay_link')


if __name__ == '__main__':
    import sys

    sys.exit(main())
