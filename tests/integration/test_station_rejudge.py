"""Hours that arrive after their time was judged are judged again (``stations.rejudge``): a late
first hour of an ozone episode widens the finding already made (the same finding, no second
one), a late middle hour joins two findings into the first (the second is marked
``merged_into``), a late episode becomes a finding, and once everything has arrived the
exceedances are exactly those of the complete CSV — as if nothing had been late."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ, FakeClock
from ecoradar.monitoring.pipeline import Intake
from ecoradar.problems.models import Finding
from ecoradar.stations.evaluate import run_stations
from tests.integration.station_support import STATIONS, hours, import_stations, packet
from tests.integration.station_support import load_regions as load_beijing
from tests.integration.test_stations_beijing import expected

NAMES = ("Dongsi", "Aotizhongxin")
SINCE = datetime(2015, 7, 1, tzinfo=CHINA_TZ)
UNTIL = datetime(2015, 7, 15, tzinfo=CHINA_TZ)
HOUR = timedelta(hours=1)
DONGSI = STATIONS["Dongsi"].code


def o3_runs() -> list[list[datetime]]:
    """Dongsi's runs of consecutive hours with O3 above 200 µg/m3, in the slice."""
    found: list[list[datetime]] = []
    for h in hours("Dongsi", SINCE, UNTIL):
        v = h.value("O3")
        if v is not None and v > 200:
            if found and h.when - found[-1][-1] == HOUR:
                found[-1].append(h.when)
            else:
                found.append([h.when])
    return found


def send(box: Container, keep: object) -> None:
    every = [h for name in NAMES for h in hours(name, SINCE, UNTIL) if keep(h)]  # type: ignore[operator]
    every.sort(key=lambda h: (h.when, h.station.code))
    summary = Intake(box).run([(packet(h), "10.0.0.1:5000") for h in every])
    assert summary.outcomes["stored"] == summary.packets == len(every)


def exceedances(box: Container) -> dict[tuple[str, str, str, datetime], list[Finding]]:
    with box.reading() as session:
        found: dict[tuple[str, str, str, datetime], list[Finding]] = {}
        for f in session.scalars(select(Finding).where(Finding.channel == "station")):
            if f.data["rule"] != "exceedance" or f.data.get("merged_into"):
                continue
            start = datetime.fromisoformat(f.data["start"]).astimezone(CHINA_TZ)
            key = (f.data["station"], f.data["factor"], f.data["averaging"], start)
            found.setdefault(key, []).append(f)
        return found


def test_late_hours_widen_their_episode_or_make_one_without_a_second_finding(
    container: Container, clock: FakeClock, tmp_path: Path
) -> None:
    runs = [run for run in o3_runs() if len(run) >= 3]
    assert len(runs) >= 2
    widened, created = runs[0], runs[-1]
    bridged = next(run for run in runs if len(run) >= 8)  # its 4th hour late: two findings first
    held = {(DONGSI, widened[0]), (DONGSI, bridged[3])} | {(DONGSI, t) for t in created}
    load_beijing(container, tmp_path)
    import_stations(container, tmp_path, NAMES)
    send(container, lambda h: (h.station.code, h.when) not in held)
    run_stations(container)
    before = exceedances(container)
    first = before[(DONGSI, "a05024", "hour", widened[1])]
    assert (DONGSI, "a05024", "hour", widened[0]) not in before
    assert (DONGSI, "a05024", "hour", created[0]) not in before
    halves = [before[(DONGSI, "a05024", "hour", bridged[n])][0] for n in (0, 4)]

    clock.advance(timedelta(days=2))  # the link comes back: the held hours arrive
    send(container, lambda h: (h.station.code, h.when) in held)
    report = run_stations(container)
    assert report.findings.get("exceedance (extended)", 0) >= 1
    assert report.findings.get("exceedance (created)", 0) >= 1
    after = exceedances(container)
    wide = after[(DONGSI, "a05024", "hour", widened[0])]
    assert [f.id for f in wide] == [first[0].id]  # the same finding, widened
    assert datetime.fromisoformat(wide[0].data["end"]) == widened[-1] + HOUR
    assert [datetime.fromisoformat(t) for t, _ in wide[0].data["values"]] == widened
    assert (DONGSI, "a05024", "hour", widened[1]) not in after
    assert len(after[(DONGSI, "a05024", "hour", created[0])]) == 1
    joined = after[(DONGSI, "a05024", "hour", bridged[0])]
    assert [f.id for f in joined] == [halves[0].id]
    assert datetime.fromisoformat(joined[0].data["end"]) == bridged[-1] + HOUR
    with container.reading() as session:
        second = session.get(Finding, halves[1].id)
        assert second is not None and second.data["merged_into"] == halves[0].source_ref
    # as if nothing had been late: the episodes of the complete data, one finding each
    assert set(after) == expected("Dongsi", SINCE, UNTIL) | expected("Aotizhongxin", SINCE, UNTIL)
    assert all(len(found) == 1 for found in after.values())

    again = run_stations(container)
    assert again.hours == 0 and again.findings == {}
    assert exceedances(container).keys() == after.keys()
