"""The diagnostic's services, in one namespace for the portal, the API, the reports and the
tasks (style rule 9). Each lives in the module named after what it does:

- ``answers``: assessments (draft, resume, save, submit) and their answers;
- ``evidence``: the business's open findings as the diagnostic sees them;
- ``planning``: the action plan and its items (sync, assign, done, reopen);
- ``insights``: maturity now, over time, against peers, progress since a date.
"""

from __future__ import annotations

from rempart.web.diagnostic.answers import (
    DiagnosticError,
    answers_of,
    current_assessment,
    latest_submitted,
    save_answers,
    set_aside_answers,
    start_or_resume,
    submit,
)
from rempart.web.diagnostic.evidence import current_questionnaire, evidence_for
from rempart.web.diagnostic.insights import (
    HistoryPoint,
    Progress,
    maturity_history,
    maturity_of,
    progress_since,
    sector_benchmark,
)
from rempart.web.diagnostic.planning import (
    PlanRow,
    SyncResult,
    assign,
    current_plan,
    item_title,
    mark_done,
    plan_for,
    reopen,
    sync_plan,
    sync_plan_later,
)

__all__ = [
    "DiagnosticError",
    "HistoryPoint",
    "PlanRow",
    "Progress",
    "SyncResult",
    "answers_of",
    "assign",
    "current_assessment",
    "current_plan",
    "current_questionnaire",
    "evidence_for",
    "item_title",
    "latest_submitted",
    "mark_done",
    "maturity_history",
    "maturity_of",
    "plan_for",
    "progress_since",
    "reopen",
    "save_answers",
    "sector_benchmark",
    "set_aside_answers",
    "start_or_resume",
    "submit",
    "sync_plan",
    "sync_plan_later",
]
