"""Door tokens: the presence proof of SPEC §4 (identity comes from the login).

- Poster token: a signed (place, poster version) pair printed in the door QR. Revoking bumps
  the place's version, so old posters stop working.
- Kiosk token: an HMAC over (place, kiosk version, time step); a new one every
  ``kiosk_step_seconds``. The current and the previous step are accepted, nothing older.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

from data.inputs import as_text, parse_id, parse_int

POSTER_SALT = "zhuguantong.door-poster"
KIOSK_SALT = b"zhuguantong.kiosk-step"
KIOSK_LINK_SALT = "zhuguantong.kiosk-link"
STEP_MAX = 10**11  # a kiosk token's numbers: far above any id or time step, int() stays cheap

FORGED = "二维码无效，请扫描办公室门口的二维码"
EXPIRED = "二维码已过期，请扫描屏幕上的最新二维码"
REVOKED = "二维码已失效，请扫描门口最新二维码"
MODE_OFF = "该签到方式已被兼辅老师关闭，请使用门口的另一种二维码"


class TokenError(ValueError):
    """A refused door token; ``str(error)`` is the Chinese message for the phone."""


@dataclass(frozen=True)
class DoorToken:
    place_id: int
    method: str  # "qr" (poster) or "kiosk"
    version: int
    step: int | None = None  # kiosk only

    def fingerprint(self) -> str:
        """Identifies one kiosk code, to refuse a second use by the same account."""
        raw = f"{self.method}:{self.place_id}:{self.version}:{self.step}"
        return hashlib.sha256(raw.encode()).hexdigest()


def kiosk_step(now: datetime, step_seconds: int) -> int:
    return int(now.timestamp()) // step_seconds


def make_poster_token(secret: str, place_id: int, version: int) -> str:
    return URLSafeSerializer(secret, salt=POSTER_SALT).dumps([place_id, version])


def _kiosk_mac(secret: str, place_id: int, version: int, step: int) -> str:
    key = hmac.new(secret.encode(), KIOSK_SALT, hashlib.sha256).digest()
    message = f"{place_id}.{version}.{step}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:20]


def make_kiosk_token(secret: str, place_id: int, version: int, step: int) -> str:
    return f"k.{place_id}.{version}.{step}.{_kiosk_mac(secret, place_id, version, step)}"


def read_door_token(secret: str, token: str, now: datetime, step_seconds: int) -> DoorToken:
    """Check the signature (and the kiosk time window); revocation is checked by the caller."""
    token = (token or "").strip()
    if not token or len(token) > 200:
        raise TokenError(FORGED)
    if token.startswith("k."):
        parts = token.split(".")
        # ASCII digits only ("²".isdigit() is True, and int() refuses it with a ValueError).
        numbers = [parse_int(p, 0, STEP_MAX) for p in parts[1:4]]
        if len(parts) != 5 or None in numbers or parts[1:4] != [str(n) for n in numbers]:
            raise TokenError(FORGED)
        place_id, version, step = numbers
        if not hmac.compare_digest(parts[4], _kiosk_mac(secret, place_id, version, step)):
            raise TokenError(FORGED)
        current = kiosk_step(now, step_seconds)
        if step > current:
            raise TokenError(FORGED)  # a code from the future was never shown
        if step < current - 1:
            raise TokenError(EXPIRED)
        return DoorToken(place_id, "kiosk", version, step)
    try:
        place_id, version = URLSafeSerializer(secret, salt=POSTER_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise TokenError(FORGED) from None
    if not isinstance(place_id, int) or not isinstance(version, int):
        raise TokenError(FORGED)
    return DoorToken(place_id, "qr", version)


def token_place_id(token: str) -> int | None:
    """The place a kiosk token claims (unverified), to look up that team's step length."""
    parts = as_text(token).split(".")
    if len(parts) == 5 and parts[0] == "k":
        return parse_id(parts[1])
    return None


def make_kiosk_link(secret: str, place_id: int, version: int) -> str:
    """The counselor-issued secret that opens /kiosk on the door tablet."""
    return URLSafeSerializer(secret, salt=KIOSK_LINK_SALT).dumps([place_id, version])


def read_kiosk_link(secret: str, link: str) -> tuple[int, int]:
    try:
        place_id, version = URLSafeSerializer(secret, salt=KIOSK_LINK_SALT).loads(link or "")
    except (BadSignature, ValueError, TypeError):
        raise TokenError("平板签到链接无效，请向兼辅老师索取新的链接") from None
    return int(place_id), int(version)
