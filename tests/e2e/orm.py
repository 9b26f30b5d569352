"""What the browser tests cannot do through pages, done through the ORM of the served portal.

Run as ``python -m tests.e2e.orm COMMAND ARGS…`` in the portal's environment (its settings, its
SQLite file, its broker folder), so that the portal and its worker see the result; prints one
JSON line. Commands:

- ``staff EMAIL PASSWORD SECRET``: a center analyst with TOTP already enrolled;
- ``business EMAIL PASSWORD NAME SIREN DOMAIN``: an owner, the business and its domain asset;
- ``verify ASSET``: look for the proof of control now (the published TXT record);
- ``scan ASSET TIMEOUT``: request a scan through the worker and wait until it has finished.
"""

from __future__ import annotations

import json
import sys
import time

import django


def staff(email: str, password: str, secret: str) -> dict:
    from django.utils import timezone

    from rempart.web.orgs.models import StaffRole, User

    user = User.objects.create_user(
        username=email,
        email=email,
        password=password,
        staff_role=StaffRole.ANALYST,
        totp_secret=secret,
        totp_confirmed_at=timezone.now(),
    )
    return {"user": user.pk}


def business(email: str, password: str, name: str, siren: str, domain: str) -> dict:
    from rempart.web.assets.models import AssetKind
    from rempart.web.assets.services import do_add_asset
    from rempart.web.orgs.models import Membership, Organisation, Role, User

    user = User.objects.create_user(username=email, email=email, password=password)
    org = Organisation.objects.create(
        name=name, siren=siren, naf="62.01Z", headcount="1-9", departement="35"
    )
    Membership.objects.create(user=user, organisation=org, role=Role.OWNER)
    asset = do_add_asset(org, AssetKind.DOMAIN, domain, user)
    return {
        "org": str(org.pk),
        "asset": str(asset.pk),
        "txt_name": asset.txt_name,
        "txt_value": asset.txt_value,
    }


def verify(asset_id: str) -> dict:
    from rempart.web.assets.models import Asset
    from rempart.web.assets.services import do_verify_asset

    asset = Asset.objects.get(pk=asset_id)
    return {"verified": do_verify_asset(asset, None), "error": asset.last_check_error}


def scan(asset_id: str, timeout: str) -> dict:
    from rempart.web.assets.models import Asset
    from rempart.web.findings.models import Finding
    from rempart.web.scans.models import Scan
    from rempart.web.scans.services import do_request_scan

    asset = Asset.objects.get(pk=asset_id)
    requested = do_request_scan(asset, None)
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        done = Scan.objects.get(pk=requested.pk)
        if done.is_finished:
            findings = Finding.objects.filter(asset=asset).values_list("pk", "check_id")
            return {
                "scan": str(done.pk),
                "status": done.status,
                "findings": [{"id": str(pk), "check_id": check} for pk, check in findings],
            }
        time.sleep(0.5)
    raise SystemExit(f"the scan of {asset.name} did not finish within {timeout} s")


COMMANDS = {"staff": staff, "business": business, "verify": verify, "scan": scan}


def main(argv: list[str]) -> None:
    django.setup()
    # A Django process sends tasks through the app that reads the settings (the filesystem
    # broker of the data folder); without this import Celery's default app would be used.
    import rempart.web.celery_app  # noqa: F401

    print(json.dumps(COMMANDS[argv[0]](*argv[1:])))


if __name__ == "__main__":
    main(sys.argv[1:])
