"""Every table, imported so that ``Base.metadata`` is complete."""

from outbreak.store.tables.audit import AuditRow
from outbreak.store.tables.cases import (
    CaseEventRow,
    CaseRow,
    ClusterCaseRow,
    ClusterRow,
    ContactRow,
)
from outbreak.store.tables.disclose import DisclosureRow
from outbreak.store.tables.en import DiagnosisKeyRow, EnExportRow, EnVerificationCodeRow
from outbreak.store.tables.geo import DistrictRow
from outbreak.store.tables.ingest import IngestBatchRow
from outbreak.store.tables.people import PERSONAL_COLUMNS, PersonRow
from outbreak.store.tables.quarantine import (
    OutboxRow,
    QuarantineAlertRow,
    QuarantineOrderRow,
    QuarantineReportRow,
)
from outbreak.store.tables.scenarios import ScenarioRunRow
from outbreak.store.tables.trace import (
    DataRequestRow,
    InvestigationKeyRow,
    InvestigationNoteRow,
    InvestigationRow,
    OrderRow,
    RouteStayRow,
    TraceContactRow,
)
from outbreak.store.tables.users import ApiKeyRow, UserRoleRow, UserRow, UserScopeRow

__all__ = [
    "PERSONAL_COLUMNS",
    "ApiKeyRow",
    "AuditRow",
    "CaseEventRow",
    "CaseRow",
    "ClusterCaseRow",
    "ClusterRow",
    "ContactRow",
    "DataRequestRow",
    "DiagnosisKeyRow",
    "DisclosureRow",
    "DistrictRow",
    "EnExportRow",
    "EnVerificationCodeRow",
    "IngestBatchRow",
    "InvestigationKeyRow",
    "InvestigationNoteRow",
    "InvestigationRow",
    "OrderRow",
    "OutboxRow",
    "PersonRow",
    "QuarantineAlertRow",
    "QuarantineOrderRow",
    "QuarantineReportRow",
    "RouteStayRow",
    "ScenarioRunRow",
    "TraceContactRow",
    "UserRoleRow",
    "UserRow",
    "UserScopeRow",
]
