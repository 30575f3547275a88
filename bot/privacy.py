"""Personal data handling shared by every channel: keyed sender hashes and text redaction.

    >>> redact("my name is Ana Lopez, call me at 555-123-4567 or ana@example.org")
    'my name is [name], call me at [phone] or [email]'

Channels redact the text *before* Rasa sees it, so the tracker store, the logs and the
knowledge-base statistics never hold the personal data a person typed. Sender ids are stored
only as HMAC-SHA256 hashes keyed by SENDER_HASH_KEY from the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets

log = logging.getLogger(__name__)

_KEY: bytes | None = None

# Order matters: e-mail before phone (digits in addresses), address before phone.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[email]", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    (
        "[address]",
        re.compile(
            r"\b\d{1,6}\s+(?:[A-Za-z0-9.'-]+\s+){0,4}?"
            r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
            r"terrace|circle|parkway|pkwy|highway|hwy|close|crescent|calle|avenida)\b\.?"
            r"(?:\s*(?:apt|apartment|unit|suite|#)\s*[\w-]+)?",
            re.IGNORECASE,
        ),
    ),
    (
        "[phone]",
        re.compile(r"(?<![\w-])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\w-])"),
    ),
)
_NAME = re.compile(
    r"\b(my name is|my name's|i am called|i'm called|me llamo|mi nombre es)\s+"
    r"([A-Za-zÀ-ÿ'-]+)((?:\s+[A-ZÀ-Ý][A-Za-zÀ-ÿ'-]+)?)",
    re.IGNORECASE,
)
# Numbers the assistant itself shares are not personal data.
_PUBLIC_NUMBERS = re.compile(r"\b(?:988|911|999|112|000|111|116 123|1-800-\d{3}-\d{4}|1-844-\d{3}-\d{4}|13 11 \d\d|1800 \d{3} \d{3})\b")


def redact(text: str) -> str:
    """Replace e-mail addresses, street addresses, phone numbers and introduced names."""
    # The first word after "my name is" is the name; a second one only if it is capitalised.
    out = _NAME.sub(
        lambda m: f"{m.group(1)} [name]" + ("" if m.group(3).strip()[:1].isupper() else m.group(3)), text
    )
    for label, pattern in _PATTERNS:
        if label == "[phone]":
            out = pattern.sub(lambda m: m.group(0) if _PUBLIC_NUMBERS.fullmatch(m.group(0).strip()) else label, out)
        else:
            out = pattern.sub(label, out)
    return out


def _key() -> bytes:
    global _KEY
    if _KEY is None:
        configured = os.environ.get("SENDER_HASH_KEY", "")
        if configured:
            _KEY = configured.encode()
        else:
            # Fine for one local process; replicas need the same key to share conversations.
            log.warning("SENDER_HASH_KEY is not set; using a random key for this process only")
            _KEY = secrets.token_bytes(32)
    return _KEY


def hash_sender(sender: str, key: bytes | None = None) -> str:
    """A stable, keyed, non-reversible id for a sender (the same sender gives the same id)."""
    return hmac.new(key or _key(), sender.encode("utf-8"), hashlib.sha256).hexdigest()[:40]
