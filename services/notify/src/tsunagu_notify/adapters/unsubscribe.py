"""Signed unsubscribe tokens for the links in every email (no login needed to stop)."""

import base64
import hashlib
import hmac


class UnsubscribeTokens:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, recipient_id: str, channel: str) -> str:
        payload = f"{recipient_id}|{channel}"
        encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{encoded}.{self._sign(payload)}"

    def read(self, token: str) -> tuple[str, str] | None:
        """(recipient id, channel) when the token is ours; None when forged or malformed."""
        try:
            encoded, signature = token.rsplit(".", 1)
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            recipient_id, channel = payload.split("|")
        except ValueError:
            return None
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        return recipient_id, channel
