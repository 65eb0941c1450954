"""The journal's tables. Only ever added to: ``CREATE ... IF NOT EXISTS`` opens an older journal as it is."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_name TEXT NOT NULL,
    operator TEXT NOT NULL,
    status TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    plan TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS actions (
    run_id TEXT NOT NULL REFERENCES runs(id),
    position INTEGER NOT NULL,
    system TEXT NOT NULL,
    action_id TEXT NOT NULL,
    phase TEXT NOT NULL,
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    observed TEXT,
    last_error TEXT,
    started TEXT,
    finished TEXT,
    PRIMARY KEY (run_id, system, action_id)
);
CREATE TABLE IF NOT EXISTS confirmations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    system TEXT NOT NULL,
    action_id TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    reference TEXT,
    note TEXT,
    evidence TEXT NOT NULL,
    not_applicable INTEGER NOT NULL DEFAULT 0,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS reports (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS report_hashes (seq INTEGER NOT NULL, sha256 TEXT NOT NULL);  -- added later: no migration
CREATE TABLE IF NOT EXISTS saved_plans (  -- plans saved with --save-plan: what approvals and apply refer to
    digest TEXT NOT NULL,
    member_id TEXT NOT NULL,
    path TEXT NOT NULL,
    saved TEXT NOT NULL,
    plan TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_approvals (  -- the approvals a run was applied under, as its report records them
    run_id TEXT PRIMARY KEY,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS confirmation_proofs (  -- who ran `offboard confirm`, and its signature where one was made
    confirmation_id INTEGER PRIMARY KEY,  -- confirmations.id
    os_user TEXT,
    principal TEXT,
    fingerprint TEXT,
    namespace TEXT,
    statement TEXT,
    signature TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_member ON runs(member_id, started);
"""
