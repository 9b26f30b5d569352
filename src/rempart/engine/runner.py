"""Run the check families over targets: concurrent, bounded, streamed, never sunk by one check.

One unit of work is one family on one target. Units run concurrently; the network limits
(global and per host) live in :class:`ScanContext`. Each unit has a deadline; a unit that
raises or overruns becomes ``error`` observations naming why (style rule 4: failure at the
boundary is a value), and the other units go on.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable

from rempart.engine.catalog import CATALOG, ids_of_family
from rempart.engine.context import ScanConfig, ScanContext
from rempart.engine.model import Observation, Status, TargetResult
from rempart.engine.registry import FAMILY_RUNS, FamilyRun
from rempart.engine.target import Target

ProgressCallback = Callable[[int, int, str], None]  # (units done, units total, target)


@dataclasses.dataclass(frozen=True, slots=True)
class UnitResult:
    target: Target
    family: str
    observations: list[Observation]


def _units(targets: list[Target], config: ScanConfig) -> list[tuple[Target, str, FamilyRun]]:
    families = [
        (name, run)
        for name, run in FAMILY_RUNS.items()
        if any(check in config.checks for check in ids_of_family(name))
    ]
    return [(target, name, run) for target in targets for name, run in families]


async def _run_unit(target: Target, family: str, run: FamilyRun, ctx: ScanContext) -> UnitResult:
    selected = [c for c in ids_of_family(family) if c in ctx.config.checks]
    try:
        found = await asyncio.wait_for(run(target, ctx), timeout=ctx.config.family_timeout)
    except TimeoutError:
        found = _errors(
            target,
            selected,
            f"{family} checks did not finish within {ctx.config.family_timeout:g} s",
        )
    except Exception as exc:  # noqa: BLE001 - the runner is the boundary (style rule 4)
        found = _errors(target, selected, f"{family} checks failed: {type(exc).__name__}: {exc}")
    name = str(target)
    kept = [dataclasses.replace(o, target=name) for o in found if o.check in ctx.config.checks]
    return UnitResult(target, family, kept)


def _errors(target: Target, check_ids: list[str], reason: str) -> list[Observation]:
    return [
        Observation(c, Status.ERROR, CATALOG[c].severity, str(target), reason=reason)
        for c in check_ids
    ]


async def scan_stream(
    targets: list[Target],
    config: ScanConfig,
    on_progress: ProgressCallback | None = None,
) -> AsyncIterator[UnitResult]:
    """Yield each (target, family) result as soon as it is complete."""
    ctx = ScanContext(config)
    units = _units(targets, config)
    total = len(units)
    if on_progress:
        on_progress(0, total, "")
    tasks = [asyncio.create_task(_run_unit(t, f, r, ctx)) for t, f, r in units]
    try:
        for done, next_result in enumerate(asyncio.as_completed(tasks), start=1):
            result = await next_result
            if on_progress:
                on_progress(done, total, str(result.target))
            yield result
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def scan(
    targets: list[Target],
    config: ScanConfig,
    on_progress: ProgressCallback | None = None,
) -> list[TargetResult]:
    """Scan every target; results in the order of ``targets``, observations sorted."""
    results = {str(t): TargetResult(str(t)) for t in targets}
    async for unit in scan_stream(targets, config, on_progress):
        results[str(unit.target)].observations.extend(unit.observations)
    for result in results.values():
        result.observations.sort(key=lambda o: (o.check, o.location))
    return list(results.values())
