"""Notifications: pluggable channels behind one protocol, delivered from the outbox.

Alerts and escalations queue a message in the outbox (``service.notify``: once per
``dedupe_key``); :func:`deliver` sends what is due through the channel named by the
message, marks it sent, or — when the channel fails — retries later with
exponential back-off (1, 2, 4, … minutes, at most ``max_attempts``), so a gateway
outage neither loses nor doubles a message. An SMS gateway, a push service or
e-mail plug in as :class:`Channel` implementations; tests and the demo use
:class:`Recorder`, which only records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.store.db import dialect_insert
from outbreak.store.tables import OutboxRow


def notify(
    session: Session, *, channel: str, recipient: str, body: str, dedupe_key: str
) -> None:
    """Queue a message once (a second call with the same key does nothing)."""
    queue(session, [message(channel, recipient, body, dedupe_key, datetime.now(UTC))])


def queue(session: Session, messages: list[dict[str, object]]) -> None:
    """Queue many messages in one statement, each key once."""
    if messages:
        session.execute(
            dialect_insert(session)(OutboxRow).on_conflict_do_nothing(
                index_elements=["dedupe_key"]
            ),
            messages,
        )


def message(
    channel: str, recipient: str, body: str, key: str, now: datetime
) -> dict[str, object]:
    return {"channel": channel, "recipient": recipient, "body": body,
            "dedupe_key": key, "state": "pending", "attempts": 0,
            "next_attempt_at": now, "last_error": "", "created_at": now}  # fmt: skip


class Channel(Protocol):
    """A way to reach someone: raise on failure, return on success."""

    def send(self, recipient: str, body: str) -> None: ...


@dataclass
class Recorder:
    """A channel that sends nothing and remembers what it was given."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, recipient: str, body: str) -> None:
        self.sent.append((recipient, body))


@dataclass(frozen=True)
class Delivery:
    sent: int
    retried: int
    failed: int


def deliver(
    session: Session,
    channels: Mapping[str, Channel],
    *,
    now: datetime | None = None,
    max_attempts: int = 5,
    limit: int = 500,
) -> Delivery:
    """Send the messages that are due; each is committed on its own, so a crash
    mid-batch re-sends nothing already marked sent."""
    now = now or datetime.now(UTC)
    due = session.scalars(
        sa.select(OutboxRow)
        .where(OutboxRow.state == "pending", OutboxRow.next_attempt_at <= now)
        .order_by(OutboxRow.id)
        .limit(limit)
    ).all()
    sent = retried = failed = 0
    for msg in due:
        channel = channels.get(msg.channel)
        try:
            if channel is None:
                raise LookupError(f"no channel {msg.channel!r} is configured")
            channel.send(msg.recipient, msg.body)
        except Exception as exc:  # noqa: BLE001 - any gateway error means retry later
            msg.attempts += 1
            msg.last_error = str(exc)[:500]
            if msg.attempts >= max_attempts:
                msg.state = "failed"
                failed += 1
            else:
                msg.next_attempt_at = now + timedelta(minutes=2 ** (msg.attempts - 1))
                retried += 1
        else:
            msg.attempts += 1
            msg.state, msg.sent_at = "sent", now
            sent += 1
        session.commit()
    return Delivery(sent, retried, failed)
