"""The compliance cycle as an operator runs it on the demo data: every command, then the report,
printed to PDF by headless Chromium where the machine has it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from meterguard.entrypoints.cli import app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PDFTOTEXT = shutil.which("pdftotext")


def meterguard(*args: str, cwd: Path) -> Result:
    """Run one command in this process (a subprocess per command costs seconds of imports)."""
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(
            app, list(args), env={"COLUMNS": "200", "MG_DATABASE_URL": f"sqlite:///{cwd / 'mg.db'}"}
        )
    finally:
        os.chdir(previous)


def ok(*args: str, cwd: Path) -> str:
    result = meterguard(*args, cwd=cwd)
    assert result.exit_code == 0, f"{args}: {result.stderr} {result.exception!r}"
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = tmp_path_factory.mktemp("compliance")
    ok("demo-data", "demo", "--meters", "60", "--days", "2", "--seed", "5", cwd=cwd)
    ok("import", "demo", cwd=cwd)
    return cwd


def test_the_whole_cycle_on_the_demo_data(demo: Path) -> None:
    year = str(datetime.now(UTC).year)
    setup = ok("compliance", "demo-setup", cwd=demo)
    present = re.search(r"still at their premises: (\S+?)[,\s]", setup)
    departed = re.search(r"who have left: (\S+?)[,\s]", setup)
    assert present and departed, setup

    schedule = ok("assessments", "--year", year, "--json", cwd=demo)
    rows = [json.loads(line) for line in schedule.splitlines()]
    by_party = {r["party_id"]: r for r in rows}
    assert by_party["LUMEN_ENERGY"]["due"] == "full"  # 4,150,000 domestic premises
    assert all(r["rule"] and r["explanation"] for r in rows)
    assert "rule applied" in ok("assessments", "--year", year, cwd=demo)
    ok("assessments", "record", "LUMEN_ENERGY", "--year", year, "--kind", "full",
       "--actor", "cio", cwd=demo)  # fmt: skip

    sample = ok("privacy", "sample", "--year", year, "--count", "2", "--seed", "e2e", cwd=demo)
    assert len(re.findall(r"^\s+\S+ drawn: ticket", sample, re.MULTILINE)) == 2
    assert "reproduced" in ok("privacy", "verify-sample", "--year", year, cwd=demo)
    assert meterguard("privacy", "sample", "--year", year, "--count", "2", cwd=demo).exit_code == 1

    (demo / "drr.csv").write_text("item,role,channel,access\nsupply_address,MAM,BULK,C\n")
    proposed = ok("matrix", "propose", "drr.csv", "--title", "MAM addresses", "--actor", "a",
                  cwd=demo)  # fmt: skip
    assert "supply_address" in proposed and "GASWORKS_METERING" in proposed
    change_id = re.search(r"change (\d+) \[draft\]", proposed)
    assert change_id
    cid = change_id.group(1)
    ok("matrix", "submit", cid, "--actor", "a", cwd=demo)
    start = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT00:00:00Z")
    refused = meterguard("matrix", "approve", cid, "--effective-from", start, "--actor", "d",
                         cwd=demo)  # fmt: skip
    assert refused.exit_code == 1 and "DPIA screening" in refused.stderr
    template = json.loads(ok("dpia", "questions", "--template", cwd=demo))
    template["answers"]["DRR-c"]["answer"] = "yes"
    (demo / "answers.json").write_text(json.dumps(template))
    screened = ok("dpia", "screen", cid, "answers.json", "--actor", "dpo", "--stage2-ref",
                  "DPIA-1", cwd=demo)  # fmt: skip
    assert "stage 2 required: DRR-c" in screened
    assert "became v2" in ok("matrix", "approve", cid, "--effective-from", start, "--actor", "d",
                             cwd=demo)  # fmt: skip
    assert "supply_address" in ok("matrix", "diff", "1", "2", cwd=demo)

    (demo / "bad.csv").write_text("item,role,channel,access\nemergency_contact,IS,API,-\n")
    bad = meterguard("matrix", "propose", "bad.csv", "--title", "x", "--actor", "a", cwd=demo)
    assert bad.exit_code == 1 and "bad.csv:2: item: group EMERGENCY_CONTACT" in bad.stderr

    exported = ok("consumer", "export", present.group(1), "--out", "sar", cwd=demo)
    assert "contact records" in exported
    bundle = json.loads((demo / "sar" / f"subject-access-{present.group(1)}.json").read_text())
    assert bundle["contact_records"] and bundle["meter_points"][0]["readings"]
    assert (demo / "sar" / f"subject-access-{present.group(1)}.html").exists()
    refused = meterguard("consumer", "erase", present.group(1), "--actor", "dpo", cwd=demo)
    assert refused.exit_code == 1 and "still occupies" in refused.stderr
    assert "erased consumer_contact" in ok("consumer", "erase", departed.group(1), "--actor",
                                           "dpo", cwd=demo)  # fmt: skip

    report = ok("compliance", "report", "--year", year, "--out", "report.html", cwd=demo)
    assert "audit chain intact" in report
    html = (demo / "report.html").read_text()
    for heading in ("User Security Assessments", "Random Sample Privacy Assessment",
                    "Permissions matrix changes", "Subject access and erasure"):  # fmt: skip
        assert heading in html
    assert "MAM addresses" in html and "DPIA-1" in html and "e2e" in html


def test_the_report_prints_to_pdf(demo: Path) -> None:
    if not (Path(CHROMIUM).exists() and PDFTOTEXT):
        pytest.skip("NO PDF CHECK: chromium or pdftotext is not installed on this machine")
    year = str(datetime.now(UTC).year)
    ok("compliance", "report", "--year", year, "--out", "print.html", cwd=demo)
    pdf = demo / "print.pdf"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
             (demo / "print.html").as_uri()],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) >= 5  # a cover and one chapter per page at least
    chapter_pages = [
        next(i for i, page in enumerate(pages) if title in page)
        for title in (
            f"1. User Security Assessments {year}",
            f"2. Random Sample Privacy Assessment {year}",
            f"3. Privacy Assessments and charges {year}",
            f"4. Permissions matrix changes {year}",
            f"5. Subject access and erasure requests {year}",
        )
    ]
    assert chapter_pages == sorted(set(chapter_pages))  # each chapter starts a page of its own
