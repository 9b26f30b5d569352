"""Shared helpers of the diagnostic tests: the example questionnaire of docs/maturity.md."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rempart.diagnostic.model import EvidenceFinding, Questionnaire
from rempart.knowledge.questionnaire import load_questionnaire_from

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "example"
DOC = Path(__file__).parents[2] / "docs" / "maturity.md"


@cache
def example() -> Questionnaire:
    return load_questionnaire_from(EXAMPLE)


def finding(key: str, check_id: str, severity: str, **extra: object) -> EvidenceFinding:
    return EvidenceFinding(
        key=key, check_id=check_id, title=f"{check_id} seen", severity=severity, **extra
    )  # type: ignore[arg-type]


# A baker with no server and a showcase site (worked example 1 of docs/maturity.md).
BAKER: dict[str, str] = {
    "ctx.servers": "none",
    "ctx.website": "showcase",
    "backup.exists": "yes",
    "backup.offline": "partly",
    "accounts.admin_rights": "some",
    "accounts.password_manager": "yes",
    "updates.workstations": "auto",
    "network.remote_exposed": "no",
    "web.https": "yes",
    "web.hosting_updates": "na",
}

# A workshop with servers and a shop, best practice everywhere (each test spoils one answer).
BEST: dict[str, str] = {
    "ctx.servers": "onsite",
    "ctx.website": "shop",
    "backup.exists": "yes",
    "backup.offline": "yes",
    "accounts.admin_rights": "nobody",
    "accounts.password_manager": "yes",
    "updates.workstations": "auto",
    "updates.servers": "yes",
    "network.remote_exposed": "no",
    "web.https": "yes",
    "web.hosting_updates": "yes",
}
