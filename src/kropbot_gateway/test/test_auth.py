"""The rosauth-compatible MAC rules (kropbot_gateway.auth): plain and hypothesis tests, no ROS."""

import json
import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kropbot_gateway.auth import (
    DEFAULT_OPERATOR,
    AuthResult,
    SecretsError,
    Verifier,
    auth_op,
    load_secrets,
    load_token,
    mac,
    parse_secrets,
    time_seconds,
)
import pytest

SECRET = 'abcdefghijklmnop'  # rosauth's own test secret (16 characters)
NOW = 1_700_000_000.25

texts = st.text(st.characters(blacklist_categories=('Cs',)), max_size=40)
# letters no message text uses, so any piece of a secret found in a message is a leak
secrets_st = st.text(st.sampled_from('XYZQ~^|%'), min_size=16, max_size=40)


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def verifier(clock=None, **kwargs):
    return Verifier({DEFAULT_OPERATOR: SECRET}, clock=clock or Clock(), **kwargs)


def test_mac_matches_rosauth_field_order_and_an_independent_digest():
    # rosauth's gtest fields; the digest is from coreutils' sha512sum of the concatenation
    # secret client dest rand t.sec level end.sec
    digest = mac(SECRET, '192.168.1.101', '192.168.1.111', 'xyzabc', 1700000000, 'admin',
                 1700000120)
    assert digest == (
        '982c7fa52085714b781f045ab6e94c99190d6caa801a9f2c7c49a7aa84cf1ee7'
        '9aab77f904ffd8c1b2158903f0699426a73c3c70341bf3a22709844d757ff9cc')
    # only the integer seconds are hashed (rosauth hashes Time.sec)
    assert mac(SECRET, '192.168.1.101', '192.168.1.111', 'xyzabc', 1700000000.99, 'admin',
               1700000120.5) == digest


def test_auth_op_has_the_rosbridge_fields_and_verifies():
    op = auth_op(SECRET, 'laptop', 'robot', now=NOW, lifetime=60, rand='r1')
    assert op == {'op': 'auth', 'mac': op['mac'], 'client': 'laptop', 'dest': 'robot',
                  'rand': 'r1', 't': 1700000000, 'level': 'admin', 'end': 1700000060.0}
    assert isinstance(op['t'], int) and isinstance(op['end'], int)
    result = verifier().verify(json.loads(json.dumps(op)))
    assert result == AuthResult(True, operator=DEFAULT_OPERATOR, level='admin', end=1700000060)


@settings(max_examples=200, deadline=None)
@given(client=texts, dest=texts, rand=texts.filter(bool), level=texts,
       skew=st.floats(-4.9, 4.9), lifetime=st.floats(1.0, 1e6))
def test_any_fields_within_the_window_are_accepted(client, dest, rand, level, skew, lifetime):
    assume(len(client) <= 256 and len(dest) <= 256)
    op = auth_op(SECRET, client, dest, level, now=NOW + skew, lifetime=lifetime, rand=rand)
    assume(abs(op['t'] - NOW) < 5.0 and op['end'] > NOW)
    assert verifier().verify(op).ok


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(['mac', 'client', 'dest', 'rand', 'level', 't', 'end']),
       data=st.data())
def test_changing_any_field_breaks_the_mac(field, data):
    op = auth_op(SECRET, 'laptop', 'robot', now=NOW, lifetime=60, rand='nonce')
    if field in ('t', 'end'):
        op[field] += data.draw(st.sampled_from([-1, 1, 2]))
    elif field == 'mac':
        i = data.draw(st.integers(0, 127))
        op['mac'] = op['mac'][:i] + ('0' if op['mac'][i] != '0' else '1') + op['mac'][i + 1:]
    else:
        op[field] += data.draw(st.text(min_size=1, max_size=3))
    result = verifier().verify(op)
    assert not result.ok
    assert result.reason in ('wrong MAC', '"end" is in the past')


def test_wrong_secret_and_uppercase_mac_are_refused():
    op = auth_op('ponmlkjihgfedcba', 'a', 'b', now=NOW)
    assert verifier().verify(op).reason == 'wrong MAC'
    op = auth_op(SECRET, 'a', 'b', now=NOW)
    op['mac'] = op['mac'].upper()  # rosauth compares the lower-case hex text exactly
    assert verifier().verify(op).reason == 'wrong MAC'


@pytest.mark.parametrize('skew, ok', [(-5.0, False), (-4.999, True), (0.0, True),
                                      (4.999, True), (5.0, False), (3600.0, False)])
def test_time_window_is_strict_both_ways(skew, ok):
    # t as a float exactly `skew` from the server clock (the MAC hashes floor(t))
    t = NOW + skew
    op = {'client': 'c', 'dest': 'd', 'rand': 'r', 'level': 'admin', 't': t, 'end': NOW + 60}
    op['mac'] = mac(SECRET, 'c', 'd', 'r', t, 'admin', NOW + 60)
    result = verifier().verify(op)
    assert result.ok is ok
    if not ok:
        assert result.reason == '"t" is not within 5 s of the server clock'


@pytest.mark.parametrize('end', [NOW - 100, NOW - 0.25, NOW])
def test_end_in_the_past_or_now_is_refused(end):
    op = {'client': 'c', 'dest': 'd', 'rand': 'r', 'level': 'admin', 't': NOW, 'end': end}
    op['mac'] = mac(SECRET, 'c', 'd', 'r', NOW, 'admin', end)
    assert verifier().verify(op).reason == '"end" is in the past'


def test_reused_rand_is_refused_until_it_leaves_the_window():
    clock = Clock()
    v = verifier(clock)
    op = auth_op(SECRET, 'c', 'd', now=clock.now, rand='once')
    assert v.verify(op).ok
    assert v.verify(op).reason == 'reused "rand"'
    other = auth_op(SECRET, 'c2', 'd', now=clock.now, rand='once')  # new MAC, same nonce
    assert v.verify(other).reason == 'reused "rand"'
    clock.now += 4.5
    assert v.verify(op).reason == 'reused "rand"'  # t still inside the window
    clock.now += 1.0
    assert v.verify(op).reason.startswith('"t" is not within')  # the replay is too old
    assert v.verify(auth_op(SECRET, 'c', 'd', now=clock.now, rand='once')).ok


def test_failed_attempts_do_not_burn_a_rand():
    v = verifier()
    bad = auth_op('0123456789abcdef', 'c', 'd', now=NOW, rand='x')
    assert not v.verify(bad).ok
    assert v.verify(auth_op(SECRET, 'c', 'd', now=NOW, rand='x')).ok


@settings(max_examples=50, deadline=None)
@given(steps=st.lists(st.tuples(st.floats(0.0, 3.0), st.integers(1, 5)), max_size=30))
def test_replay_cache_is_bounded_and_forgets_old_entries(steps):
    clock = Clock()
    v = verifier(clock, max_replay=8)
    n = 0
    for dt, count in steps:
        clock.now += dt
        for _ in range(count):
            n += 1
            result = v.verify(auth_op(SECRET, 'c', 'd', now=clock.now, rand=f'r{n}'))
            live = sum(1 for e in v._seen.values() if e > clock.now)
            assert len(v._seen) <= 8
            assert result.ok or result.reason.startswith('too many') and live == 8


def test_full_replay_cache_fails_closed_then_recovers():
    clock = Clock()
    v = verifier(clock, max_replay=2)
    assert v.verify(auth_op(SECRET, 'c', 'd', now=clock.now, rand='a')).ok
    assert v.verify(auth_op(SECRET, 'c', 'd', now=clock.now, rand='b')).ok
    assert v.verify(auth_op(SECRET, 'c', 'd', now=clock.now, rand='c')).reason.startswith(
        'too many')
    clock.now += 5.0
    assert v.verify(auth_op(SECRET, 'c', 'd', now=clock.now, rand='c')).ok


@pytest.mark.parametrize('request_', [
    None, [], 'auth', {}, {'mac': 1}, {'mac': 'x' * 300, 'client': '', 'dest': '', 'rand': 'r',
                                      'level': '', 't': NOW, 'end': NOW + 9},
])
def test_malformed_requests_are_refused_without_raising(request_):
    result = verifier().verify(request_)
    assert not result.ok and result.reason.startswith('malformed auth op')


@pytest.mark.parametrize('t', [True, None, 'now', float('nan'), float('inf'), -1, 10**400,
                               {'sec': 1.5}, {'sec': 1, 'nanosec': 2_000_000_000},
                               {'sec': 1, 'foo': 2}, {'sec': True}])
def test_bad_times_are_malformed(t):
    with pytest.raises(ValueError):
        time_seconds(t)
    op = auth_op(SECRET, 'c', 'd', now=NOW)
    op['t'] = t
    assert verifier().verify(op).reason.startswith('malformed auth op: "t"')


def test_ros_time_objects_are_accepted():
    assert time_seconds({'sec': 5, 'nanosec': 500_000_000}) == 5.5
    assert time_seconds({'secs': 5, 'nsecs': 0}) == 5.0
    op = auth_op(SECRET, 'c', 'd', now=NOW, lifetime=10)
    op['t'] = {'sec': op['t'], 'nanosec': 250_000_000}
    op['end'] = {'secs': op['end'], 'nsecs': 0}
    assert verifier().verify(op).ok


def test_named_secrets_identify_the_operator():
    v = Verifier({'alice': 'a' * 16, 'bob': 'b' * 20}, clock=Clock())
    result = v.verify(auth_op('b' * 20, 'c', 'd', level='user', now=NOW))
    assert (result.ok, result.operator, result.level) == (True, 'bob', 'user')
    assert v.verify(auth_op('a' * 16, 'c', 'd', now=NOW)).operator == 'alice'
    assert 'a' * 16 not in repr(v) and 'alice' in repr(v)


def test_parse_secrets_formats():
    assert parse_secrets(SECRET + '\n') == {DEFAULT_OPERATOR: SECRET}
    assert parse_secrets(' spaced secret 16 \r\n') == {DEFAULT_OPERATOR: ' spaced secret 16 '}
    assert parse_secrets('no-colon-secret:xyz\n') == {DEFAULT_OPERATOR: 'no-colon-secret:xyz'}
    text = '# operators\nalice: aaaaaaaaaaaaaaaa\n\nbob.smith:  bbbbbbbbbbbbbbbbbbbb  \n'
    assert parse_secrets(text) == {'alice': 'a' * 16, 'bob.smith': 'b' * 20}
    assert parse_secrets('solo: ssssssssssssssss') == {'solo': 's' * 16}


@pytest.mark.parametrize('text, reason', [
    ('', 'holds no secret'), ('\n \n', 'holds no secret'),
    ('# only\n# comments\n', 'holds no secret'),
    ('short\n', 'has 5 characters'), ('a: aaaaaaaaaaaaaaaa\nno colon here ok\n', 'line 2'),
    ('a: aaaaaaaaaaaaaaaa\na: bbbbbbbbbbbbbbbb\n', 'listed twice'),
    ('a: aaaaaaaaaaaaaaaa\nb: short\n', "'b' has 5"),
])
def test_parse_secrets_errors(text, reason):
    with pytest.raises(SecretsError, match=reason):
        parse_secrets(text)


@settings(max_examples=100, deadline=None)
@given(secret=secrets_st, name=st.from_regex(r'[a-z]{1,8}', fullmatch=True),
       cut=st.integers(1, 15))
def test_secrets_never_appear_in_errors_or_reasons(secret, name, cut):
    for text in (secret[:cut], f'{name}: {secret}\n{name}: {secret}', f'{name}: {secret[:cut]}'):
        with pytest.raises(SecretsError) as info:
            parse_secrets(text)
        assert secret[:cut] not in str(info.value)
    v = Verifier({name: secret}, clock=Clock())
    op = auth_op(secret, 'c', 'd', now=NOW, rand='r')
    for bad in (dict(op, mac=op['mac'][::-1]), dict(op, t=NOW - 60), op, op):
        result = v.verify(bad)
        assert secret not in result.reason and op['mac'] not in result.reason
        assert secret not in repr(result) and op['mac'] not in repr(result)


def test_load_secrets_and_token(tmp_path):
    one = tmp_path / 'secret'
    one.write_text(SECRET + '\n')
    assert load_secrets(one) == {DEFAULT_OPERATOR: SECRET}
    assert load_token(one) == SECRET
    named = tmp_path / 'named'
    named.write_text('alice: aaaaaaaaaaaaaaaa\nbob: bbbbbbbbbbbbbbbb\n')
    with pytest.raises(SecretsError, match='holds 2 secrets'):
        load_token(named)
    with pytest.raises(SecretsError, match='cannot read secrets file .*No such file'):
        load_secrets(tmp_path / 'missing')
    binary = tmp_path / 'binary'
    binary.write_bytes(b'\xff\xfe' * 10)
    with pytest.raises(SecretsError, match='not UTF-8'):
        load_secrets(binary)


def test_verifier_rejects_bad_configuration():
    with pytest.raises(ValueError):
        Verifier({})
    with pytest.raises(ValueError):
        Verifier({'a': SECRET}, window=0)
    with pytest.raises(ValueError):
        Verifier({'a': SECRET}, max_replay=0)
    assert math.isclose(Verifier({'a': SECRET}).window, 5.0)
