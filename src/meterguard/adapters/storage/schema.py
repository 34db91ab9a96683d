"""The database schema, in SQLAlchemy Core.

Instants are stored as BIGINT seconds since the Unix epoch (UTC), the same integers the domain
uses, so SQLite and PostgreSQL hold identical values and compiled period filters are plain integer
comparisons. An open end is NULL. Migrations in ``migrations/`` create exactly these tables; a test
compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

parties = Table(
    "parties",
    metadata,
    Column("party_id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("roles", Text, nullable=False, comment="role codes, space-separated, sorted"),
    Column("category", String(32), nullable=False),
    Column("manufacturer", Text, nullable=False, server_default=""),
    Column("domestic_premises", BigInteger),
    Column("non_domestic_premises", BigInteger),
    Column("shared_resources", Boolean, nullable=False, server_default="0"),
)

meter_points = Table(
    "meter_points",
    metadata,
    Column("mpxn", String(13), primary_key=True),
    Column("fuel", String(16), nullable=False),
    Column("sector", String(16), nullable=False),
    Column("region", Text, nullable=False),
)

appointments = Table(
    "appointments",
    metadata,
    Column("mpxn", String(13), ForeignKey("meter_points.mpxn"), nullable=False),
    Column("role", String(4), nullable=False),
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_to", BigInteger),
    Column("party_id", String(32), ForeignKey("parties.party_id"), nullable=False),
    PrimaryKeyConstraint("mpxn", "role", "valid_from"),
    # "Who held role R at M at t" is served by the primary key (mpxn, role, valid_from);
    # "when did P hold R at M" by this one.
    Index(None, "party_id", "role", "mpxn"),
)

occupancies = Table(
    "occupancies",
    metadata,
    Column("mpxn", String(13), ForeignKey("meter_points.mpxn"), nullable=False),
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_to", BigInteger),
    Column("consumer_id", String(64), nullable=False),
    PrimaryKeyConstraint("mpxn", "valid_from"),
    Index(None, "consumer_id", "mpxn"),
)

devices = Table(
    "devices",
    metadata,
    Column("guid", String(23), primary_key=True),
    Column("device_type", String(8), nullable=False),
    Column("mpxn", String(13), ForeignKey("meter_points.mpxn"), nullable=False),
    Column("manufacturer", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("firmware_version", Text, nullable=False),
    Column("status", String(32)),
    Column("csp_region", String(8), nullable=False),
    Column("owner_party_id", String(32), ForeignKey("parties.party_id")),
    Column("credentials_party_id", String(32), ForeignKey("parties.party_id")),
    Index(None, "mpxn"),
    Index(None, "owner_party_id"),
    Index(None, "manufacturer"),
)

consents = Table(
    "consents",
    metadata,
    Column("consent_id", String(64), primary_key=True),
    Column("consumer_id", String(64), nullable=False),
    Column("mpxn", String(13), ForeignKey("meter_points.mpxn"), nullable=False),
    Column("party_id", String(32), ForeignKey("parties.party_id"), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("data_groups", Text, nullable=False, comment="groups, space-separated, sorted"),
    Column("data_from", BigInteger, nullable=False),
    Column("data_to", BigInteger),
    Column("granted_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("withdrawn_at", BigInteger),
    Column("notice_sent_at", BigInteger),
    Column("verification", Text, nullable=False),
    Index(None, "party_id", "mpxn"),
    Index(None, "consumer_id"),
)

matrix_versions = Table(
    "matrix_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("effective_from", BigInteger, nullable=False),
    UniqueConstraint("effective_from"),
)

matrix_cells = Table(
    "matrix_cells",
    metadata,
    Column("version", Integer, nullable=False),
    Column("item", String(32), nullable=False),
    Column("role", String(4), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("access", String(1), nullable=False),
    PrimaryKeyConstraint("version", "item", "role", "channel"),
    ForeignKeyConstraint(["version"], ["matrix_versions.version"]),
)

# No foreign key to meter_points: the import validates every reading's meter point, and a
# per-row constraint check would dominate the cost of loading tens of millions of rows.
readings = Table(
    "readings",
    metadata,
    Column("mpxn", String(13), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("kwh", Float, nullable=False),
    PrimaryKeyConstraint("mpxn", "ts"),
    sqlite_with_rowid=False,
)

critical_alerts = Table(
    "critical_alerts",
    metadata,
    Column("alert_code", String(16), primary_key=True),
    Column("description", Text, nullable=False),
)

consent_events = Table(
    "consent_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("consent_id", String(64), ForeignKey("consents.consent_id"), nullable=False),
    Column("event", String(32), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    Column("detail", Text, nullable=False, comment="JSON"),
    Index(None, "consent_id", "at"),
)

# Move-outs recorded in the hub: a later import may not restate an occupancy past one.
move_outs = Table(
    "move_outs",
    metadata,
    Column("mpxn", String(13), ForeignKey("meter_points.mpxn"), nullable=False),
    Column("consumer_id", String(64), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    PrimaryKeyConstraint("mpxn", "consumer_id", "at"),
)

import_runs = Table(
    "import_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("finished_at", BigInteger, nullable=False),
    Column("source", Text, nullable=False),
    Column("summary", Text, nullable=False, comment="JSON: per file, inserted/updated/unchanged"),
)

# The audit log (ACCESS-RULES 10): append-only, each entry carrying the hash of the one before.
# ``mpxn`` and the data-time envelope ``data_from``/``data_to`` let a consumer's view select the
# entries about their meter point that overlap their occupancy; the periods themselves are JSON.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", BigInteger, nullable=False),
    Column("party_id", String(64), nullable=False),
    Column("role", String(8), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("action", String(64), nullable=False, comment="data item, service action or event"),
    Column("subject", String(64), nullable=False),
    Column("mpxn", String(13)),
    Column("data_from", BigInteger),
    Column("data_to", BigInteger),
    Column("asked", Text, nullable=False, comment="JSON: periods asked"),
    Column("allowed", Text, nullable=False, comment="JSON: periods released"),
    Column("decision", String(16), nullable=False),
    Column("code", String(32), nullable=False),
    Column(
        "basis", Text, nullable=False, comment="legal basis: appointment, consent or matrix cell"
    ),
    Column("request_id", String(128), nullable=False),
    Column("detail", Text, nullable=False, comment="JSON: anything else worth keeping"),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "mpxn", "seq"),
    Index(None, "party_id", "seq"),
)

# Beside an entry that covers many meter points (a bulk extract): each one and its periods
# released, for the consumers' view. Their digest is in the entry's detail (``released_sha256``),
# so the chain covers them too.
audit_released = Table(
    "audit_released",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("mpxn", String(13), nullable=False),
    Column("data_from", BigInteger, nullable=False),
    Column("data_to", BigInteger, nullable=False),
    Column("periods", Text, nullable=False, comment="JSON: periods released"),
    PrimaryKeyConstraint("seq", "mpxn"),
    Index(None, "mpxn", "seq"),
)

# One row: the newest entry's sequence number and hash. Appending first updates this row, which
# serialises appenders on both databases (a row lock on PostgreSQL, the write lock on SQLite).
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Every change to the registry, in commit order: a meter point, or NULL for a registry-wide change
# (a party, a new meter point, a matrix version). Each process's snapshot reads what is new here
# before it decides, so no process decides from facts another process has changed.
registry_changes = Table(
    "registry_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("mpxn", String(13)),
    Column("kind", String(32), nullable=False),
    Column("at", BigInteger, nullable=False),
)

# --- Routing what devices send (ACCESS-RULES 9) --------------------------------------------------

# Every message accepted once, delivered or quarantined: ``message_id`` as the primary key makes
# ingest idempotent across runs and after a crash. A purge empties a quarantined payload and keeps
# the row, so the same message sent again is still a duplicate.
messages = Table(
    "messages",
    metadata,
    Column("message_id", String(128), primary_key=True),
    Column("mpxn", String(13), nullable=False),
    Column("device_guid", String(23), nullable=False),
    Column("ts", BigInteger, nullable=False, comment="data time"),
    Column("kind", String(8), nullable=False, comment="read or alert"),
    Column("alert_code", String(16), nullable=False, server_default=""),
    Column("payload", Text, comment="NULL once purged"),
    Column("received_at", BigInteger, nullable=False),
    Column("state", String(16), nullable=False, comment="routed, quarantined or purged"),
    Column("reason", String(32), nullable=False, server_default="", comment="why quarantined"),
    Column("purge_id", Integer),
    Index(None, "mpxn", "ts"),
    Index(None, "device_guid", "ts"),
    Index(None, "state", "received_at"),
)

# Each recipient's mailbox: a message delivered to a party, or a deletion notice telling it that a
# message it was given is no longer its to hold. A delivery the corrected appointment history no
# longer entitles is withdrawn (never handed out again) and answered by a deletion notice.
deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", Integer, primary_key=True, autoincrement=True),
    Column("party_id", String(32), nullable=False),
    Column("message_id", String(128), ForeignKey("messages.message_id"), nullable=False),
    Column("notice", String(16), nullable=False, comment="message or deletion"),
    Column("basis", String(32), nullable=False, comment="why this party receives it"),
    Column("created_at", BigInteger, nullable=False),
    Column("pulled_at", BigInteger, comment="first handed to the party"),
    Column("acknowledged_at", BigInteger),
    Column("withdrawn_at", BigInteger, comment="no longer entitled: a deletion notice follows"),
    Index(None, "party_id", "acknowledged_at", "delivery_id"),
    Index(None, "message_id"),
)

# One row per purge of quarantined payloads (``meterguard purge``).
quarantine_purges = Table(
    "quarantine_purges",
    metadata,
    Column("purge_id", Integer, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("older_than_days", Integer, nullable=False),
    Column("received_before", BigInteger, nullable=False),
    Column("messages", Integer, nullable=False),
    Column("actor", Text, nullable=False),
)

# One row: how far along the registry change feed corrections have been applied to deliveries.
routing_cursor = Table(
    "routing_cursor",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("change_seq", BigInteger, nullable=False),
)

# -- HTTP API (issue 5): keys, and the Other Users' daily meter-point limit ------------------------

# API keys are random 32-byte tokens; only their SHA-256 is kept. ``party_id`` is the party the key
# speaks for, or the operator's name when ``is_operator``. ``prefix`` names a key in listings.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("prefix", String(16), nullable=False),
    Column("party_id", String(64), nullable=False),
    Column("is_operator", Boolean, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Index(None, "party_id"),
)

# The distinct meter points each Other User asked about on each UTC day (day = seconds // 86400):
# stored, not counted in memory, so the limit holds across every server process.
ou_meter_points = Table(
    "ou_meter_points",
    metadata,
    Column("party_id", String(32), nullable=False),
    Column("day", Integer, nullable=False),
    Column("mpxn", String(64), nullable=False),
    PrimaryKeyConstraint("party_id", "day", "mpxn"),
)

# The web portal (issue 5): one-time sign-in codes and browser sessions. Neither the code nor the
# session id is stored, only its SHA-256, so a copy of the database lets no one sign in.
sign_in_codes = Table(
    "sign_in_codes",
    metadata,
    Column("code_id", Integer, primary_key=True, autoincrement=True),
    Column("consumer_id", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("attempts_left", Integer, nullable=False),
    Column("used_at", BigInteger, comment="redeemed or superseded by a newer code"),
    Index(None, "consumer_id", "issued_at"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("kind", String(16), nullable=False, comment="consumer or operator"),
    Column("subject", String(64), nullable=False, comment="consumer_id or operator party_id"),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, comment="signed out"),
)

# ---- Compliance (issue 7): security and privacy assessments, matrix change requests with their
# DPIA screenings, and the consumer contact records that subject access exports and erasure
# removes. ----

# When each party became a DCC User (User Entry): year one of its security-assessment cycle.
party_user_entries = Table(
    "party_user_entries",
    metadata,
    Column("party_id", String(32), ForeignKey("parties.party_id"), primary_key=True),
    Column("entered_at", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
)

# User Security Assessments carried out (the schedule of what is due is computed, not stored).
security_assessments = Table(
    "security_assessments",
    metadata,
    Column("party_id", String(32), ForeignKey("parties.party_id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("kind", String(16), nullable=False, comment="full, verification or self"),
    Column("completed_at", BigInteger, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("actor", Text, nullable=False),
    PrimaryKeyConstraint("party_id", "year"),
)

# Random Sample Privacy Assessment draws: the seed and the population, so anyone can re-run one.
privacy_samples = Table(
    "privacy_samples",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("seed", String(128), nullable=False),
    Column("count", Integer, nullable=False),
    Column("population", Text, nullable=False, comment="JSON: party ids, sorted"),
    Column("chosen", Text, nullable=False, comment="JSON: party ids, lowest ticket first"),
    Column("drawn_at", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
)

# Privacy Assessments of Other Users, with the auditor's report and the user's response.
privacy_assessments = Table(
    "privacy_assessments",
    metadata,
    Column("assessment_id", Integer, primary_key=True, autoincrement=True),
    Column("party_id", String(32), ForeignKey("parties.party_id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("kind", String(16), nullable=False, comment="user or random_sample"),
    Column("charge", String(16), nullable=False, comment="explicit or recoverable"),
    Column("opened_at", BigInteger, nullable=False),
    Column("opened_by", Text, nullable=False),
    Column("report", Text),
    Column("report_at", BigInteger),
    Column("response", Text),
    Column("response_at", BigInteger),
    UniqueConstraint("party_id", "year", "kind"),
    Index(None, "year"),
)

# Disclosure Request Report workflow: a proposed change to the newest matrix version.
matrix_changes = Table(
    "matrix_changes",
    metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("status", String(16), nullable=False, comment="draft, submitted, approved, rejected"),
    Column("base_version", Integer, nullable=False),
    Column("cells", Text, nullable=False, comment="JSON: [item, role, channel, access] rows"),
    Column("drafted_at", BigInteger, nullable=False),
    Column("drafted_by", Text, nullable=False),
    Column("submitted_at", BigInteger),
    Column("decided_at", BigInteger),
    Column("decided_by", Text),
    Column("reason", Text),
    Column("effective_from", BigInteger),
    Column("new_version", Integer),
)

# The DPIA screening kept with the change it screens (the newest one counts).
dpia_screenings = Table(
    "dpia_screenings",
    metadata,
    Column("screening_id", Integer, primary_key=True, autoincrement=True),
    Column("change_id", Integer, ForeignKey("matrix_changes.change_id"), nullable=False),
    Column("answers", Text, nullable=False, comment="JSON: ref -> [yes, comment]"),
    Column("risks", Text, nullable=False, comment="JSON: privacy risks identified"),
    Column("requires_stage2", Boolean, nullable=False),
    Column("stage2_reference", Text, nullable=False, server_default=""),
    Column("screened_at", BigInteger, nullable=False),
    Column("screened_by", Text, nullable=False),
    Index(None, "change_id"),
)

# Contact and Priority Services records of consumers: never released through API or BULK,
# exported to the consumer on a subject access request, erased once the consumer has left.
consumer_contacts = Table(
    "consumer_contacts",
    metadata,
    Column("consumer_id", String(64), nullable=False),
    Column(
        "kind",
        String(32),
        nullable=False,
        comment="consumer_contact, emergency_contact, priority_services",
    ),
    Column("value", Text, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("source", Text, nullable=False),
    PrimaryKeyConstraint("consumer_id", "kind"),
)
