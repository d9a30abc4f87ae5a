"""Door tokens (checkin/door/tokens.py): pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from checkin.door.tokens import (
    EXPIRED,
    FORGED,
    DoorToken,
    TokenError,
    kiosk_step,
    make_kiosk_link,
    make_kiosk_token,
    make_poster_token,
    read_door_token,
    read_kiosk_link,
    token_place_id,
)

SECRET = "test-secret-key"
STEP = 15
NOW = datetime(2026, 11, 24, 6, 0, 7, tzinfo=UTC)


def read(token: str, moment: datetime = NOW) -> DoorToken:
    return read_door_token(SECRET, token, moment, STEP)


def test_poster_round_trip():
    token = make_poster_token(SECRET, 7, 3)
    assert read(token) == DoorToken(place_id=7, method="qr", version=3)


def test_poster_token_never_expires_by_time():
    token = make_poster_token(SECRET, 7, 3)
    assert read(token, NOW + timedelta(days=400)).version == 3


def test_forged_poster_signature_refused():
    token = make_poster_token("another-secret", 7, 3)
    with pytest.raises(TokenError) as refused:
        read(token)
    assert str(refused.value) == FORGED


def test_tampered_poster_payload_refused():
    payload, signature = make_poster_token(SECRET, 7, 3).split(".")
    other_payload = make_poster_token(SECRET, 8, 3).split(".")[0]
    assert other_payload != payload
    with pytest.raises(TokenError, match=FORGED):
        read(f"{other_payload}.{signature}")


@pytest.mark.parametrize("garbage", ["", "   ", "x", "k.1.1.1", "k.a.b.c.d", "k." + "1" * 300])
def test_garbage_refused(garbage):
    with pytest.raises(TokenError, match=FORGED):
        read(garbage)


def test_kiosk_current_step_accepted():
    step = kiosk_step(NOW, STEP)
    token = make_kiosk_token(SECRET, 7, 2, step)
    assert read(token) == DoorToken(place_id=7, method="kiosk", version=2, step=step)


def test_kiosk_previous_step_accepted():
    step = kiosk_step(NOW, STEP)
    token = make_kiosk_token(SECRET, 7, 2, step - 1)
    assert read(token).step == step - 1


def test_kiosk_code_read_one_step_later_still_accepted():
    token = make_kiosk_token(SECRET, 7, 2, kiosk_step(NOW, STEP))
    assert read(token, NOW + timedelta(seconds=STEP)).place_id == 7


def test_kiosk_step_two_windows_old_expired():
    step = kiosk_step(NOW, STEP)
    token = make_kiosk_token(SECRET, 7, 2, step - 2)
    with pytest.raises(TokenError) as refused:
        read(token)
    assert str(refused.value) == EXPIRED


def test_kiosk_code_from_the_future_refused():
    step = kiosk_step(NOW, STEP)
    token = make_kiosk_token(SECRET, 7, 2, step + 1)
    with pytest.raises(TokenError, match=FORGED):
        read(token)


def test_kiosk_tampered_place_refused():
    token = make_kiosk_token(SECRET, 7, 2, kiosk_step(NOW, STEP))
    parts = token.split(".")
    parts[1] = "8"
    with pytest.raises(TokenError, match=FORGED):
        read(".".join(parts))


def test_kiosk_tampered_step_or_version_refused():
    step = kiosk_step(NOW, STEP)
    token = make_kiosk_token(SECRET, 7, 2, step - 2)
    parts = token.split(".")
    parts[3] = str(step)  # try to refresh an old code by rewriting its step
    with pytest.raises(TokenError, match=FORGED):
        read(".".join(parts))
    parts = make_kiosk_token(SECRET, 7, 2, step).split(".")
    parts[2] = "3"  # or to revive a revoked kiosk version
    with pytest.raises(TokenError, match=FORGED):
        read(".".join(parts))


def test_kiosk_forged_signature_refused():
    token = make_kiosk_token("another-secret", 7, 2, kiosk_step(NOW, STEP))
    with pytest.raises(TokenError, match=FORGED):
        read(token)


def test_kiosk_step_boundaries():
    start = datetime.fromtimestamp(kiosk_step(NOW, STEP) * STEP, UTC)
    assert kiosk_step(start, STEP) == kiosk_step(start + timedelta(seconds=STEP - 1), STEP)
    assert kiosk_step(start + timedelta(seconds=STEP), STEP) == kiosk_step(start, STEP) + 1


def test_token_place_id_is_only_a_hint():
    assert token_place_id(make_kiosk_token(SECRET, 7, 2, 1)) == 7
    assert token_place_id(make_poster_token(SECRET, 7, 2)) is None
    assert token_place_id("") is None


def test_kiosk_link_round_trip_and_forgery():
    link = make_kiosk_link(SECRET, 7, 4)
    assert read_kiosk_link(SECRET, link) == (7, 4)
    with pytest.raises(TokenError):
        read_kiosk_link("another-secret", link)
    with pytest.raises(TokenError):
        read_kiosk_link(SECRET, "")
    # A poster token is not a kiosk link (different salt), nor the other way round.
    with pytest.raises(TokenError):
        read_kiosk_link(SECRET, make_poster_token(SECRET, 7, 4))
    with pytest.raises(TokenError):
        read(link)
