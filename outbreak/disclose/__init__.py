"""Disclosure of exposure places under Korea's rules, the citizen self-check, and an
exposure-notification key server.

``derive`` proposes exposure places from investigations' routes; the rules of
:class:`DisclosurePolicy` withhold what the KDCA guideline forbids and record why; a
communicator publishes the rest, and the public sees only :class:`PublicExposure`
(built by ``public_list``). A citizen checks their own history (``read_history``,
``self_check``) on their device. Diagnosis keys of confirmed cases are taken with a
verification code (``publish_keys``) and exported in the GAEN format.
"""

from outbreak.disclose.gaen import DiagnosisKey
from outbreak.disclose.gaen_export import read_export
from outbreak.disclose.history import Presence, read_history
from outbreak.disclose.keyserver import publish_keys
from outbreak.disclose.public import PublicExposure, public_list
from outbreak.disclose.rules import RULES, DisclosurePolicy, check_wording
from outbreak.disclose.selfcheck import match as self_check
from outbreak.disclose.service import derive, publish, purge

__all__ = [
    "RULES",
    "DiagnosisKey",
    "DisclosurePolicy",
    "Presence",
    "PublicExposure",
    "check_wording",
    "derive",
    "public_list",
    "publish",
    "publish_keys",
    "purge",
    "read_export",
    "read_history",
    "self_check",
]
