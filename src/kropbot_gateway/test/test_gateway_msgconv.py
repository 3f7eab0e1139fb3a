"""msgconv (ROS message -> dict) and the test-side dict_to_msg, on the allow-listed types."""

import cbor2
from geometry_msgs.msg import TwistStamped
from kropbot_gateway.encoding import encode_publish
from kropbot_gateway.msgconv import import_message, msg_to_dict
from kropbot_testing.msgs import dict_to_msg
import pytest
from sensor_msgs.msg import CompressedImage


def test_compressed_image_to_dict_has_bytes_and_time():
    msg = CompressedImage(format='jpeg', data=b'\xff\xd8abc')
    msg.header.stamp.sec, msg.header.stamp.nanosec = 5, 7
    msg.header.frame_id = 'camera_optical_frame'
    d = msg_to_dict(msg)
    assert d == {'header': {'stamp': {'sec': 5, 'nanosec': 7},
                            'frame_id': 'camera_optical_frame'},
                 'format': 'jpeg', 'data': b'\xff\xd8abc'}
    assert cbor2.loads(encode_publish('c', d, 'cbor'))['msg']['data'] == b'\xff\xd8abc'


def test_dict_to_msg_roundtrip_and_errors():
    msg = dict_to_msg(TwistStamped, {'header': {'frame_id': 'x'},
                                     'twist': {'linear': {'x': 0.5}, 'angular': {'z': -1.0}}})
    assert msg_to_dict(msg)['twist']['linear']['x'] == 0.5
    assert msg.twist.angular.z == -1.0
    with pytest.raises(ValueError):
        dict_to_msg(TwistStamped, {'bogus': 1})
    with pytest.raises(ValueError):
        dict_to_msg(TwistStamped, {'twist': {'linear': {'w': 1.0}}})
    # JavaScript writes 0, not 0.0: ints are accepted for float fields (as rosbridge does)...
    assert dict_to_msg(TwistStamped, {'twist': {'linear': {'x': 1}}}).twist.linear.x == 1.0
    for bad in (True, 10 ** 400, 'fast'):  # ...but not bools, huge ints or strings
        with pytest.raises(ValueError):
            dict_to_msg(TwistStamped, {'twist': {'linear': {'x': bad}}})


def test_import_message():
    assert import_message('sensor_msgs/msg/CompressedImage') is CompressedImage
    for bad in ('sensor_msgs/CompressedImage', 'nope_msgs/msg/X', 'std_msgs/msg/Nope'):
        with pytest.raises(ValueError):
            import_message(bad)
