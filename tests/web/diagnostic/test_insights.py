"""Maturity over time and against peers of the same sector and size."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.utils import timezone

from rempart.web.diagnostic import services
from rempart.web.diagnostic.models import Assessment, AssessmentStatus
from rempart.web.orgs.models import Organisation
from tests.web.diagnostic.conftest import V1, V2

_serial = count()


def _peers(how_many: int, naf: str = "10.13A", headcount: str = "1-9") -> None:
    for i in range(how_many):
        peer = Organisation.objects.create(
            name=f"Pair {naf} {i}",
            siren=f"8{next(_serial):08d}",
            naf=naf,
            headcount=headcount,
            departement="35",
        )
        # An older, better assessment must not count: only the latest one does.
        Assessment.objects.create(
            organisation=peer,
            questionnaire_version="2026.2",
            status=AssessmentStatus.SUBMITTED,
            submitted_at=timezone.now() - timedelta(days=400),
            index=4.9,
        )
        Assessment.objects.create(
            organisation=peer,
            questionnaire_version="2026.2",
            status=AssessmentStatus.SUBMITTED,
            submitted_at=timezone.now(),
            index=1.0 + i,
        )


def _submit(org, user, answers):
    draft = services.start_or_resume(org, user)
    services.save_answers(draft, user, answers)
    services.submit(draft, user)
    return draft


def test_no_benchmark_below_five_peers_and_one_at_five(world, questionnaire):
    _submit(world.org_a, world.alice, {"backup.offline": "yes", "access.remote_mfa": "yes"})
    _peers(4)  # same NAF division "10" as the bakery's "10.71C", same band
    _peers(3, naf="45.20A")  # another sector
    _peers(3, naf="10.71C", headcount="10-49")  # another size
    assert services.sector_benchmark(world.org_a) is None

    Organisation.objects.create(
        name="Cinquième", siren="700000001", naf="10.11Z", headcount="1-9", departement="35"
    )
    assert services.sector_benchmark(world.org_a) is None  # no submitted diagnostic: no peer
    Assessment.objects.create(
        organisation=Organisation.objects.get(siren="700000001"),
        questionnaire_version="2026.2",
        status=AssessmentStatus.SUBMITTED,
        submitted_at=timezone.now(),
        index=3.0,
    )

    found = services.sector_benchmark(world.org_a)

    assert found is not None and found.peers == 5
    own = services.latest_submitted(world.org_a).index
    assert found.better_than == sum(1 for x in (1.0, 2.0, 3.0, 4.0, 3.0) if x < own)
    assert found.median == 3.0


def test_history_rescores_every_submission_under_the_current_version(world, questionnaire):
    questionnaire["current"] = V1
    _submit(world.org_a, world.alice, {"backup.offsite": "no", "mail.protected": "yes"})
    questionnaire["current"] = V2
    _submit(world.org_a, world.alice, {"backup.offline": "yes"})

    points = services.maturity_history(world.org_a)

    assert len(points) == 2 and points[0].date <= points[1].date
    # The first one, answered to 2026.1, is scored with the current questions (renamed backup
    # question, red flag of 2026.2 on its "no"): comparable with the second.
    assert points[0].themes["backup"] == 0.0
    assert points[1].themes["backup"] == 5.0
    assert set(points[0].themes) == set(points[1].themes) == {"backup", "access", "mail"}
