"""Self-quarantine on the database, in one namespace: orders (:mod:`.orders`), the
app's reports (:mod:`.reports`), alerts (:mod:`.alerts`), what officers read
(:mod:`.worklist`) and the outbox (:mod:`.notify`).

Officers act through :class:`~outbreak.audit.Access` (role checks, audit entries,
district scope). The citizen app acts with its order's token, which reaches only
that order: :func:`order_for_token` is the one door.
"""

from outbreak.quarantine.alerts import AlertChange, acknowledge, evaluate, raise_alert
from outbreak.quarantine.notify import notify
from outbreak.quarantine.orders import (
    BULK_ACTIONS,
    OPEN_STATES,
    Issued,
    bulk,
    change_state,
    checked_order,
    extend,
    issue_from_trace,
    issue_order,
    order_for_token,
    pair_band,
    purge,
    token_hash,
)
from outbreak.quarantine.reports import (
    Accepted,
    AppOrder,
    Report,
    app_order,
    take_reports,
)
from outbreak.quarantine.worklist import WorkItem, open_alerts, timeline, worklist

__all__ = [
    "BULK_ACTIONS",
    "OPEN_STATES",
    "Accepted",
    "AlertChange",
    "AppOrder",
    "Issued",
    "Report",
    "WorkItem",
    "acknowledge",
    "app_order",
    "bulk",
    "change_state",
    "checked_order",
    "evaluate",
    "extend",
    "issue_from_trace",
    "issue_order",
    "notify",
    "open_alerts",
    "order_for_token",
    "pair_band",
    "purge",
    "raise_alert",
    "take_reports",
    "timeline",
    "token_hash",
    "worklist",
]
