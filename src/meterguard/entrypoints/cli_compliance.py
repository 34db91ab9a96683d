"""The compliance cycle on the command line: ``meterguard assessments``, ``privacy``, ``dpia``,
``matrix``, ``consumer`` and ``compliance``. Each command calls one service from ``bootstrap``;
a refusal is printed on stderr with exit code 1 and nothing written."""

from __future__ import annotations

import csv
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from meterguard import bootstrap
from meterguard.adapters.demo_compliance import set_up_demo_compliance
from meterguard.adapters.html_reports import render_compliance_report, render_subject_access
from meterguard.domain.assessments import AssessmentKind
from meterguard.domain.dpia import QUESTIONS, IncompleteScreening, screening_from_mapping
from meterguard.domain.time import BadInstant, format_instant, parse_instant
from meterguard.entrypoints.cli_common import DbOption, err, out
from meterguard.services.assessments import AssessmentRefused
from meterguard.services.matrix_changes import (
    ChangeRefused,
    Impact,
    MatrixChange,
    ProposalRejected,
    parse_proposal,
)
from meterguard.services.privacy import PrivacyRefused
from meterguard.services.subject_access import ContactKind, SubjectAccessRefused

RequiredActor = Annotated[
    str, typer.Option("--actor", help="The operator taking this step (recorded with it).")
]
YearOption = Annotated[
    int | None, typer.Option("--year", help="Calendar year (default: this year).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

_REFUSALS = (
    AssessmentRefused,
    PrivacyRefused,
    ChangeRefused,
    SubjectAccessRefused,
    IncompleteScreening,
    BadInstant,
    ValueError,
)


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except ProposalRejected as exc:
        for problem in exc.problems:
            err.print(problem, markup=False)
        raise typer.Exit(1) from exc
    except _REFUSALS as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(1) from exc


def _this_year() -> int:
    return datetime.fromtimestamp(bootstrap.system_clock(), UTC).year


def _instant(text: str, option: str) -> int:
    try:
        return parse_instant(text)
    except BadInstant as exc:
        err.print(f"{option}: {exc}", markup=False)
        raise typer.Exit(2) from exc


# ---- assessments ------------------------------------------------------------------------------

assessments_app = typer.Typer(
    help="User Security Assessments: the schedule (SEC G8, SECMP0059), User Entry dates, records.",
    invoke_without_command=True,
)


@assessments_app.callback()
def assessments_schedule(
    ctx: typer.Context,
    year: Annotated[
        int | None, typer.Option("--year", help="Only this year (default: every year).")
    ] = None,
    as_json: JsonFlag = False,
    db: DbOption = None,
) -> None:
    """Print the assessment each DCC User owes per year since its User Entry, naming the rule."""
    if ctx.invoked_subcommand is not None:
        return
    schedule = bootstrap.assessments(bootstrap.database(db)).schedule(year)
    if as_json:
        for row in schedule.rows:
            typer.echo(
                json.dumps(
                    {
                        "party_id": row.party.party_id,
                        "year": row.due.year,
                        "year_of_use": row.due.year_of_use,
                        "due": row.due.kind.value,
                        "rule": row.due.rule.code,
                        "explanation": row.due.explanation,
                        "done": row.done.kind.value if row.done else None,
                        "status": row.status,
                    }
                )
            )
    else:
        table = Table(title=f"User Security Assessments {year or 'since User Entry'}")
        table.add_column("party", no_wrap=True)
        for column in ("year", "of use", "due", "rule applied", "also under", "done", "status"):
            table.add_column(column)
        for row in schedule.rows:
            table.add_row(
                row.party.party_id,
                str(row.due.year),
                str(row.due.year_of_use),
                row.due.kind.value,
                row.due.rule.code,
                ", ".join(r.code for r in row.due.also),
                row.done.kind.value if row.done else "",
                row.status,
            )
        out.print(table)
    for party in schedule.without_entry:
        err.print(
            f"{party.party_id}: no User Entry date recorded "
            f"(meterguard assessments user-entry {party.party_id} DATE --actor NAME)",
            markup=False,
        )


@assessments_app.command("user-entry")
def assessments_user_entry(
    party_id: str,
    date: Annotated[str, typer.Argument(help="When the party became a DCC User (YYYY-MM-DD).")],
    actor: RequiredActor,
    db: DbOption = None,
) -> None:
    """Set (or correct) the date a party became a DCC User: year one of its cycle."""
    entered = _instant(date, "DATE")
    with _refusals():
        bootstrap.assessments(bootstrap.database(db)).set_user_entry(party_id, entered, actor)
    out.print(f"{party_id}: User Entry {format_instant(entered)}", markup=False)


@assessments_app.command("record")
def assessments_record(
    party_id: str,
    year: Annotated[int, typer.Option("--year")],
    kind: Annotated[AssessmentKind, typer.Option("--kind")],
    actor: RequiredActor,
    outcome: Annotated[str, typer.Option("--outcome", help="e.g. Approved")] = "Approved",
    db: DbOption = None,
) -> None:
    """Record the assessment a party had in a year; say how it compares with what was due."""
    with _refusals():
        row = bootstrap.assessments(bootstrap.database(db)).record(
            party_id, year, kind, outcome, actor
        )
    out.print(
        f"{party_id} {year}: {kind.value} recorded; {row.due.kind.value} was due "
        f"({row.due.rule.code}): {row.status}",
        markup=False,
    )


# ---- privacy ----------------------------------------------------------------------------------

privacy_app = typer.Typer(
    help="Privacy Assessments of Other Users (SEC Section I): samples, reports, charges.",
    no_args_is_help=True,
)


@privacy_app.command("sample")
def privacy_sample(
    count: Annotated[int, typer.Option("--count", help="How many Other Users to draw.")],
    year: YearOption = None,
    seed: Annotated[
        str | None, typer.Option("--seed", help="Default: a fresh random seed, recorded.")
    ] = None,
    actor: Annotated[str, typer.Option("--actor")] = "privacy-auditor",
    db: DbOption = None,
) -> None:
    """Draw the year's Random Sample Privacy Assessment (once a year; reproducible)."""
    year = year or _this_year()
    seed = seed or secrets.token_hex(16)
    with _refusals():
        stored = bootstrap.privacy_assessments(bootstrap.database(db)).draw(
            year, count, seed, actor
        )
    draw = stored.draw
    out.print(
        f"Random Sample Privacy Assessment {year}: {draw.count} of {len(draw.population)} "
        f"Other User(s), seed {draw.seed}",
        markup=False,
    )
    for party_id in draw.population:
        out.print("  " + draw.explain(party_id), markup=False)
    out.print("Charges: recoverable costs (random samples are not charged to the party).")


@privacy_app.command("verify-sample")
def privacy_verify_sample(year: YearOption = None, db: DbOption = None) -> None:
    """Re-run a year's draw from its recorded seed and population."""
    year = year or _this_year()
    with _refusals():
        stored, same = bootstrap.privacy_assessments(bootstrap.database(db)).verify(year)
    verdict = "reproduced: the same parties" if same else "NOT reproduced"
    out.print(f"{year} sample (seed {stored.draw.seed}): {verdict}", markup=False)
    if not same:
        raise typer.Exit(1)


@privacy_app.command("open")
def privacy_open(
    party_id: str, actor: RequiredActor, year: YearOption = None, db: DbOption = None
) -> None:
    """Open an Other User's own Privacy Assessment (an explicit charge to it)."""
    with _refusals():
        a = bootstrap.privacy_assessments(bootstrap.database(db)).open(
            party_id, year or _this_year(), actor
        )
    out.print(f"privacy assessment {a.assessment_id}: {party_id} {a.year}, charge {a.charge}")


@privacy_app.command("report")
def privacy_report(
    assessment_id: int, text: str, actor: RequiredActor, db: DbOption = None
) -> None:
    """Add the Independent Privacy Auditor's Privacy Assessment Report."""
    with _refusals():
        a = bootstrap.privacy_assessments(bootstrap.database(db)).add_report(
            assessment_id, text, actor
        )
    out.print(f"privacy assessment {a.assessment_id}: {a.stage}")


@privacy_app.command("respond")
def privacy_respond(
    assessment_id: int, text: str, actor: RequiredActor, db: DbOption = None
) -> None:
    """Add the Other User's Privacy Assessment Response."""
    with _refusals():
        a = bootstrap.privacy_assessments(bootstrap.database(db)).add_response(
            assessment_id, text, actor
        )
    out.print(f"privacy assessment {a.assessment_id}: {a.stage}")


@privacy_app.command("list")
def privacy_list(year: YearOption = None, db: DbOption = None) -> None:
    """The year's Privacy Assessments, with who pays for each."""
    year = year or _this_year()
    service = bootstrap.privacy_assessments(bootstrap.database(db))
    table = Table(title=f"Privacy Assessments {year}")
    for column in ("id", "party", "kind", "charge", "stage"):
        table.add_column(column)
    for a in service.store.assessments(year):
        table.add_row(str(a.assessment_id), a.party_id, a.kind.value, a.charge.value, a.stage)
    out.print(table)
    for payer, items in sorted(service.charges(year).items()):
        out.print(f"charged to {payer}: {', '.join(f'#{a.assessment_id}' for a in items)}")


# ---- dpia -------------------------------------------------------------------------------------

dpia_app = typer.Typer(help="DPIA screening of matrix changes (seed 000).", no_args_is_help=True)


@dpia_app.command("questions")
def dpia_questions(
    template: Annotated[
        bool, typer.Option("--template", help="Print a JSON answers file to fill in.")
    ] = False,
) -> None:
    """The Stage 1 screening questions (DPIA-S1-1..10) and the DRR tests (a)..(m)."""
    if template:
        answers = {q.ref: {"answer": "no", "comment": ""} for q in QUESTIONS}
        typer.echo(json.dumps({"answers": answers, "risks": []}, indent=2))
        return
    for q in QUESTIONS:
        out.print(f"{q.ref}: {q.text}", markup=False)
    out.print('Any "yes", or any privacy risk identified, requires Stage 2.')


@dpia_app.command("screen")
def dpia_screen(
    change_id: int,
    answers_file: Annotated[Path, typer.Argument(help="JSON: see `dpia questions --template`.")],
    actor: RequiredActor,
    stage2_ref: Annotated[
        str, typer.Option("--stage2-ref", help="The approved Stage 2 DPIA's reference.")
    ] = "",
    db: DbOption = None,
) -> None:
    """Record the DPIA screening of a matrix change; it is kept with the change."""
    try:
        data = json.loads(answers_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        err.print(f"{answers_file}: {exc}", markup=False)
        raise typer.Exit(1) from exc
    with _refusals():
        if not isinstance(data, dict):
            raise IncompleteScreening(f"{answers_file}: expected a JSON object")
        screening = screening_from_mapping(data)
        stored = bootstrap.matrix_changes(bootstrap.database(db)).screen(
            change_id, screening, actor, stage2_ref
        )
    out.print(f"change {change_id} screened: {stored.screening.outcome}", markup=False)


# ---- matrix -----------------------------------------------------------------------------------

matrix_app = typer.Typer(
    help="Matrix change requests (the Disclosure Request Report workflow) and version diffs.",
    no_args_is_help=True,
)


def _print_impact(impact: Impact, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(impact.as_json(), indent=2))
        return
    after = f"v{impact.after_version}" if impact.after_version else "the proposal"
    out.print(f"matrix v{impact.before_version} -> {after}", markup=False)
    if not impact.diff.changes:
        out.print("no cell differs")
        return
    table = Table()
    for column in ("role", "channel", "gained", "lost", "personal data newly exposed"):
        table.add_column(column)
    lost = set(impact.diff.lost)
    for (role, channel), changes in impact.diff.by_role_and_channel().items():
        table.add_row(
            role.value,
            channel.value,
            ", ".join(
                f"{c.key.item} {c.before or '∅'}→{c.after or '∅'}" for c in changes if c.gains
            ),
            ", ".join(
                f"{c.key.item} {c.before or '∅'}→{c.after or '∅'}" for c in changes if c in lost
            ),
            ", ".join(c.key.item for c in changes if c.newly_exposes_personal_data),
        )
    out.print(table)
    for role, parties in impact.parties_affected.items():
        out.print(f"parties holding {role}: {', '.join(parties) or 'none'}", markup=False)


def _print_change(change: MatrixChange) -> None:
    line = f"change {change.change_id} [{change.status}] {change.title} (on v{change.base_version}"
    if change.new_version:
        line += f", became v{change.new_version} from {format_instant(change.effective_from or 0)}"
    out.print(line + ")", markup=False)


@matrix_app.command("diff")
def matrix_diff(v1: int, v2: int, as_json: JsonFlag = False, db: DbOption = None) -> None:
    """What changes from matrix version V1 to V2, per role and channel."""
    with _refusals():
        impact = bootstrap.matrix_changes(bootstrap.database(db)).diff_versions(v1, v2)
    _print_impact(impact, as_json)


@matrix_app.command("propose")
def matrix_propose(
    file: Annotated[Path, typer.Argument(help="CSV: item,role,channel,access (cells to set).")],
    title: Annotated[str, typer.Option("--title")],
    actor: RequiredActor,
    db: DbOption = None,
) -> None:
    """Draft a change to the newest matrix version and show its impact."""
    try:
        with file.open(newline="", encoding="utf-8") as handle:
            rows = list(enumerate(csv.DictReader(handle), start=2))
    except OSError as exc:
        err.print(f"{file}: {exc}", markup=False)
        raise typer.Exit(1) from exc
    service = bootstrap.matrix_changes(bootstrap.database(db))
    with _refusals():
        cells = parse_proposal(rows, str(file))
        change = service.draft(title, cells, actor)
    _print_change(change)
    _print_impact(service.impact(change.change_id), False)


@matrix_app.command("impact")
def matrix_impact(change_id: int, as_json: JsonFlag = False, db: DbOption = None) -> None:
    """The impact of a change request: gains, losses, personal data exposed, parties affected."""
    service = bootstrap.matrix_changes(bootstrap.database(db))
    with _refusals():
        change = service.get(change_id)
        impact = service.impact(change_id)
    if not as_json:
        _print_change(change)
        screening = service.screening(change_id)
        out.print(
            f"screening: {screening.screening.outcome if screening else 'none'}", markup=False
        )
    _print_impact(impact, as_json)


def _step(change_id: int, db: str | None, act: Callable[[Any], MatrixChange]) -> None:
    service = bootstrap.matrix_changes(bootstrap.database(db))
    with _refusals():
        change = act(service)
    _print_change(change)


@matrix_app.command("submit")
def matrix_submit(change_id: int, actor: RequiredActor, db: DbOption = None) -> None:
    """Submit a drafted change for decision."""
    _step(change_id, db, lambda s: s.submit(change_id, actor))


@matrix_app.command("approve")
def matrix_approve(
    change_id: int,
    effective_from: Annotated[str, typer.Option("--effective-from", help="YYYY-MM-DDTHH:MM:SSZ")],
    actor: RequiredActor,
    db: DbOption = None,
) -> None:
    """Approve a submitted change: it becomes a new matrix version from --effective-from."""
    start = _instant(effective_from, "--effective-from")
    _step(change_id, db, lambda s: s.approve(change_id, actor, start))


@matrix_app.command("reject")
def matrix_reject(
    change_id: int,
    reason: Annotated[str, typer.Option("--reason")],
    actor: RequiredActor,
    db: DbOption = None,
) -> None:
    """Reject a submitted change, with the reason."""
    _step(change_id, db, lambda s: s.reject(change_id, actor, reason))


@matrix_app.command("changes")
def matrix_changes(db: DbOption = None) -> None:
    """Every change request and its state."""
    for change in bootstrap.matrix_changes(bootstrap.database(db)).changes():
        _print_change(change)


# ---- consumer ---------------------------------------------------------------------------------

consumer_app = typer.Typer(
    help="Subject access and erasure for an energy consumer.", no_args_is_help=True
)


@consumer_app.command("export")
def consumer_export(
    consumer_id: str,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the JSON and HTML files.")
    ] = Path("."),
    actor: Annotated[str, typer.Option("--actor")] = "operator",
    db: DbOption = None,
) -> None:
    """Write everything the hub holds about a consumer as JSON and a readable HTML page."""
    with _refusals():
        bundle = bootstrap.subject_access(bootstrap.database(db)).export(consumer_id, actor)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"subject-access-{consumer_id}.json"
    html_path = out_dir / f"subject-access-{consumer_id}.html"
    json_path.write_text(json.dumps(bundle, indent=2, ensure_ascii=False), encoding="utf-8")
    html_path.write_text(render_subject_access(bundle), encoding="utf-8")
    readings = sum(len(m["readings"]) for m in bundle["meter_points"])
    entries = sum(len(m["access_log"]) for m in bundle["meter_points"])
    out.print(
        f"{consumer_id}: {len(bundle['occupancies'])} occupancies, {len(bundle['consents'])} "
        f"consents, {entries} access-log entries, {readings} readings, "
        f"{len(bundle['contact_records'])} contact records",
        markup=False,
    )
    out.print(f"wrote {json_path} and {html_path}", markup=False)


@consumer_app.command("erase")
def consumer_erase(consumer_id: str, actor: RequiredActor, db: DbOption = None) -> None:
    """Erase the contact and Priority Services records of a consumer who has left."""
    with _refusals():
        erasure = bootstrap.subject_access(bootstrap.database(db)).erase(consumer_id, actor)
    removed = ", ".join(erasure.removed) or "nothing (none held)"
    out.print(f"{consumer_id}: erased {removed}; the erasure is recorded", markup=False)


@consumer_app.command("contact")
def consumer_contact(
    consumer_id: str,
    kind: Annotated[ContactKind, typer.Option("--kind")],
    value: Annotated[str, typer.Option("--value")],
    actor: RequiredActor,
    source: Annotated[str, typer.Option("--source")] = "",
    db: DbOption = None,
) -> None:
    """Record a contact or Priority Services record of a current occupant."""
    with _refusals():
        bootstrap.subject_access(bootstrap.database(db)).record_contact(
            consumer_id, kind, value, source, actor
        )
    out.print(f"{consumer_id}: {kind.value} recorded", markup=False)


# ---- compliance -------------------------------------------------------------------------------

compliance_app = typer.Typer(help="The year's compliance record.", no_args_is_help=True)


@compliance_app.command("report")
def compliance_report(
    year: YearOption = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="HTML file to write.")] = None,
    actor: Annotated[str, typer.Option("--actor")] = "operator",
    db: DbOption = None,
) -> None:
    """One printable HTML document for a privacy auditor: assessments, samples, matrix changes
    with their screenings, subject access requests served."""
    year = year or _this_year()
    with _refusals():
        report = bootstrap.compliance_reports(bootstrap.database(db)).build(year, actor)
    target = out_file or Path(f"compliance-report-{year}.html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_compliance_report(report), encoding="utf-8")
    out.print(
        f"compliance report {year}: {len(report.schedule.rows)} assessments due, "
        f"{len(report.privacy_assessments)} privacy assessments, "
        f"{len(report.matrix_changes)} matrix changes, "
        f"{len(report.subject_access)} subject access entries, {len(report.erasures)} erasures; "
        f"{report.chain.describe()}",
        markup=False,
    )
    out.print(f"wrote {target} (print it to PDF from a browser)", markup=False)


@compliance_app.command("demo-setup")
def compliance_demo_setup(db: DbOption = None) -> None:
    """Give an imported demo registry User Entry dates and a few consumer contact records."""
    result = set_up_demo_compliance(bootstrap.database(db), bootstrap.system_clock())
    out.print(
        f"{result.user_entries} User Entry dates and {result.contact_records} contact records set",
        markup=False,
    )
    out.print(f"consumers still at their premises: {', '.join(result.present_consumers)}")
    out.print(f"consumers who have left: {', '.join(result.departed_consumers)}")


def register(app: typer.Typer) -> None:
    app.add_typer(assessments_app, name="assessments")
    app.add_typer(privacy_app, name="privacy")
    app.add_typer(dpia_app, name="dpia")
    app.add_typer(matrix_app, name="matrix")
    app.add_typer(consumer_app, name="consumer")
    app.add_typer(compliance_app, name="compliance")
