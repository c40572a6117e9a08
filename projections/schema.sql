-- The read model: one SQLite database (OUT/archive.sqlite, WAL) kept up to date with the
-- log by `projections` (every command catches it up first). Everything here is derived
-- from log/events.jsonl and may be deleted; `meta` says which log and which line it reflects.
--
-- Conventions. A figure is an interval: `low`, `high` (NULL = open: "at least"), `best`
-- (the point estimate), `exact` (1 only when low = high and no term is approximate).
-- Sums keep `high_closed` (the sum of the closed highs) and `open_terms` (how many terms
-- have no upper bound) so they can be updated by delta; `high` is NULL while open_terms > 0.
-- Dates are the text the log holds (`2025`, `2025-06`, `2025-06-16`, `2025-06/2025-12`)
-- with `earliest` and `latest`, the first and last day they may denote (YYYY-MM-DD).
-- Seqs are positions in the log. NULL means "not given" (never 0).
-- Counts are bounded by the write side (eventlog rejects counts above its documented
-- maximum, far below 2^63 / number of rounds), so sums fit SQLite's 64-bit INTEGER.

-- What the store reflects: key/value rows.
--   format          the store's format version (a store of another version is rebuilt)
--   log_path        where the log was when the store last caught up (its lines are read
--                   back from there, each checked against the hash the store kept)
--   log_identity    SHA-256 of the log's line 1: the store belongs to that log only
--   head_seq        seq of the last line folded (0: none)
--   head_offset     byte offset just past that line
--   head_hash       SHA-256 of that line (the next line's `prev`)
--   head_recorded_at  recorded_at of that line
--   built_at        UTC time of the catch-up that wrote the head
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;

-- Every line of the log, in order: the system-time axis (`--known-at TIME` finds its seq
-- here by binary search on seq: recorded_at never decreases along the log).
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,          -- position in the log, 1, 2, 3 ...
    id TEXT NOT NULL,                 -- the event's id (a fact's id is unique in `facts`)
    type TEXT NOT NULL,               -- event type (eventlog/catalog.py)
    recorded_at TEXT NOT NULL,        -- UTC time of the append
    recorded_by TEXT NOT NULL         -- who appended it
);

-- Every fact (agreement, round, transfer, total, offer, note, source document) and its
-- status now. Its data is not copied: it is the data of the line that reported it (read
-- at `offset`, checked against `hash`) with the changes of its versions applied.
CREATE TABLE facts (
    id TEXT PRIMARY KEY,              -- the fact's id (the event that reported it)
    type TEXT NOT NULL,               -- e.g. transfer.reported
    status TEXT NOT NULL,             -- current | retracted | superseded
    seq INTEGER NOT NULL REFERENCES events (seq),  -- where it was reported
    revisions INTEGER NOT NULL,       -- corrections, retractions and supersessions since
    slug TEXT,                        -- agreements, rounds, documents: the slug it introduces
    round TEXT,                       -- transfers and notes: the round they now name
    offset INTEGER NOT NULL,          -- byte offset of the reporting line in the log
    hash BLOB NOT NULL                -- SHA-256 of that line (checked on every read)
) WITHOUT ROWID;
CREATE INDEX facts_by_slug ON facts (slug) WHERE slug IS NOT NULL;
CREATE INDEX facts_by_round ON facts (round) WHERE round IS NOT NULL;

-- The trails: every version of every fact, with system time (seq made, seq superseded)
-- and, for rounds and transfers, the fields the figures read as they were in that version.
CREATE TABLE fact_versions (
    fact_id TEXT NOT NULL REFERENCES facts (id),
    version INTEGER NOT NULL,         -- 0 = as reported, then 1, 2 ... per revision
    seq INTEGER NOT NULL REFERENCES events (seq),  -- the event that made this version
    superseded_seq INTEGER,           -- the event that ended it (NULL: still the latest)
    action TEXT NOT NULL,             -- reported | corrected | retracted | superseded
    status TEXT NOT NULL,             -- the fact's status in this version
    changes TEXT,                     -- corrected: JSON {field: {"from": old, "to": new}}
    reason TEXT,                      -- corrected / retracted: the reason given
    source TEXT,                      -- the revision's own source (JSON), if it gave one
    superseded_by TEXT,               -- superseded: the id of the fact that replaces it
    round TEXT,                       -- transfer: its round; round: its slug
    kind TEXT,                        -- transfer: bodies | pows | civilians
    sender TEXT,                      -- transfer: `from`
    receiver TEXT,                    -- transfer: `to`
    party TEXT,                       -- transfer: whose account (UA | RU | other)
    value INTEGER,                    -- transfer: the count
    qualifier TEXT,                   -- transfer: exact | at_least | at_most | about
    occurred_on TEXT,                 -- round: its date as recorded
    agreement TEXT,                   -- round: its agreement
    label TEXT,                       -- round: its label
    mediators TEXT,                   -- round: its mediators (JSON list)
    attribution TEXT,                 -- transfer: inferred, or NULL: stated by the report
    PRIMARY KEY (fact_id, version)
) WITHOUT ROWID;

-- Source documents the archive quotes (source.recorded), current ones only.
CREATE TABLE documents (
    document TEXT PRIMARY KEY,        -- the document's slug
    id TEXT NOT NULL REFERENCES facts (id),
    outlet TEXT,
    title TEXT,
    url TEXT,
    published_on TEXT,
    language TEXT,
    sha256 TEXT,                      -- hex SHA-256 of the document's UTF-8 text
    note TEXT
);

-- Agreements (agreement.recorded), current ones only.
CREATE TABLE agreements (
    agreement TEXT PRIMARY KEY,       -- the agreement's slug
    id TEXT NOT NULL REFERENCES facts (id),
    title TEXT NOT NULL,
    concluded_on TEXT,
    place TEXT
);

-- Rounds (round.recorded), current (not retracted) ones only.
CREATE TABLE rounds (
    round TEXT PRIMARY KEY,           -- the round's slug
    id TEXT NOT NULL REFERENCES facts (id),
    occurred_on TEXT NOT NULL,        -- as recorded (may be reduced precision or START/END)
    earliest TEXT NOT NULL,           -- first day it may have happened
    latest TEXT NOT NULL,             -- last day it may have happened
    agreement TEXT,                   -- the agreement it belongs to (NULL: none given)
    label TEXT,
    mediators TEXT,                   -- JSON list, NULL if none given
    revisions INTEGER NOT NULL,       -- revisions of the round and of the facts naming it
    seq INTEGER NOT NULL              -- where the round was reported
);
CREATE INDEX rounds_by_date ON rounds (earliest, latest, round);

-- Accounts: the current transfer.reported facts (one party's report of one flow of one
-- round), with their source. Several accounts of one party for one round and flow all
-- count (they widen low/high and make the round discrepant when they differ).
CREATE TABLE accounts (
    id TEXT PRIMARY KEY REFERENCES facts (id),
    round TEXT NOT NULL,              -- the round's slug
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,             -- `from`
    receiver TEXT NOT NULL,           -- `to`
    party TEXT NOT NULL,              -- whose account: UA | RU | other
    value INTEGER NOT NULL,
    qualifier TEXT NOT NULL,          -- exact | at_least | at_most | about
    seq INTEGER NOT NULL,             -- where it was reported (accounts order by it)
    attributed_to TEXT NOT NULL,      -- who the report attributes it to
    attribution TEXT,                 -- inferred (the maintainers' inference); NULL: stated
    document TEXT,                    -- slug of the source document, if recorded
    outlet TEXT                       -- (url and quote: in the fact's data, see `facts`)
) WITHOUT ROWID;
CREATE INDEX accounts_by_round ON accounts (round, seq);

-- Flows of each current round: every account of one (kind, from, to) combined.
CREATE TABLE flows (
    round TEXT NOT NULL REFERENCES rounds (round),
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    low INTEGER NOT NULL,             -- lowest low of the accounts
    high INTEGER,                     -- highest high (NULL: some account is open)
    best INTEGER NOT NULL,            -- the receiver's account, else the sender's, else another's
    approx INTEGER NOT NULL,          -- 1 if the best account is "about"
    exact INTEGER NOT NULL,           -- 1 if low = high and not approximate
    best_party TEXT NOT NULL,
    discrepant INTEGER NOT NULL,      -- 1 if the accounts are not all the same quantity
    accounts INTEGER NOT NULL,        -- how many accounts
    earliest TEXT NOT NULL,           -- the round's earliest day (copied for date queries)
    latest TEXT NOT NULL,             -- the round's latest day
    agreement TEXT,                   -- the round's agreement
    PRIMARY KEY (round, kind, sender, receiver)
) WITHOUT ROWID;
CREATE INDEX flows_discrepant ON flows (kind, sender, receiver, earliest, latest, round)
    WHERE discrepant = 1;

-- Totals per flow over all current rounds (the sum of the itemized rounds only).
CREATE TABLE flow_totals (
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    low INTEGER NOT NULL,
    high_closed INTEGER NOT NULL,
    open_terms INTEGER NOT NULL,
    best INTEGER NOT NULL,
    approx_terms INTEGER NOT NULL,    -- rounds whose figure is approximate
    rounds INTEGER NOT NULL,          -- rounds with this flow
    high INTEGER GENERATED ALWAYS AS (CASE WHEN open_terms > 0 THEN NULL ELSE high_closed END),
    sum_exact INTEGER GENERATED ALWAYS AS (approx_terms = 0 AND open_terms = 0 AND low = high_closed),
    PRIMARY KEY (kind, sender, receiver)
) WITHOUT ROWID;

-- Per flow and party: the sum of that party's accounts over the rounds it gave one for.
CREATE TABLE party_totals (
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    party TEXT NOT NULL,
    low INTEGER NOT NULL,
    high_closed INTEGER NOT NULL,
    open_terms INTEGER NOT NULL,
    best INTEGER NOT NULL,
    approx_terms INTEGER NOT NULL,
    rounds INTEGER NOT NULL,          -- rounds this party gave an account of this flow for
    high INTEGER GENERATED ALWAYS AS (CASE WHEN open_terms > 0 THEN NULL ELSE high_closed END),
    sum_exact INTEGER GENERATED ALWAYS AS (approx_terms = 0 AND open_terms = 0 AND low = high_closed),
    PRIMARY KEY (kind, sender, receiver, party)
) WITHOUT ROWID;

-- Flow figures summed per (flow, agreement, earliest, latest): a few rows per day, so a
-- reported total's scope is summed over days, not rounds. agreement '' = none.
CREATE TABLE flow_sums_by_date (
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    agreement TEXT NOT NULL,
    earliest TEXT NOT NULL,
    latest TEXT NOT NULL,
    low INTEGER NOT NULL,
    high_closed INTEGER NOT NULL,
    open_terms INTEGER NOT NULL,
    best INTEGER NOT NULL,
    approx_terms INTEGER NOT NULL,
    rounds INTEGER NOT NULL,
    PRIMARY KEY (kind, receiver, sender, agreement, earliest, latest)
) WITHOUT ROWID;
CREATE INDEX flow_sums_by_day ON flow_sums_by_date (kind, receiver, earliest);

-- Reported totals (total.reported, current ones), each beside the sum of the recorded
-- rounds in its scope and flow that are certainly (low) or possibly (high) done by its
-- as_of, and the gap between them.
CREATE TABLE reported_totals (
    id TEXT PRIMARY KEY REFERENCES facts (id),
    kind TEXT NOT NULL,
    sender TEXT,                      -- NULL: from any side
    receiver TEXT NOT NULL,
    scope_agreement TEXT,             -- scope {"agreement": slug}
    scope_since TEXT,                 -- scope {"since": date}
    since_earliest TEXT,              -- first day of scope_since
    as_of TEXT NOT NULL,
    as_of_earliest TEXT NOT NULL,
    as_of_latest TEXT NOT NULL,
    value INTEGER NOT NULL,           -- the reported count
    qualifier TEXT NOT NULL,
    low INTEGER NOT NULL,             -- the reported count as an interval
    high INTEGER,
    approx INTEGER NOT NULL,
    attributed_to TEXT NOT NULL,
    party TEXT NOT NULL,
    attribution TEXT,                 -- inferred, or NULL: stated by the report
    document TEXT,
    seq INTEGER NOT NULL,
    sum_low INTEGER NOT NULL,         -- rounds certainly in scope and done by as_of
    sum_high_closed INTEGER NOT NULL, -- rounds possibly in scope and done by as_of
    sum_open INTEGER NOT NULL,
    sum_best INTEGER NOT NULL,
    sum_approx INTEGER NOT NULL,
    sum_rounds INTEGER NOT NULL,      -- rounds possibly counted
    sum_uncertain INTEGER NOT NULL,   -- of which not certainly in scope or done by as_of
    sum_high INTEGER GENERATED ALWAYS AS (CASE WHEN sum_open > 0 THEN NULL ELSE sum_high_closed END),
    sum_exact INTEGER GENERATED ALWAYS AS (
        sum_approx = 0 AND sum_open = 0 AND sum_uncertain = 0 AND sum_low = sum_high_closed),
    gap INTEGER GENERATED ALWAYS AS (value - sum_best),
    gap_low INTEGER GENERATED ALWAYS AS (CASE WHEN sum_open > 0 THEN NULL ELSE low - sum_high_closed END),
    gap_high INTEGER GENERATED ALWAYS AS (CASE WHEN high IS NULL THEN NULL ELSE high - sum_low END),
    gap_exact INTEGER GENERATED ALWAYS AS (
        approx = 0 AND high IS NOT NULL AND high = low AND sum_approx = 0 AND sum_open = 0 AND sum_uncertain = 0
        AND sum_low = sum_high_closed)
);
CREATE INDEX reported_totals_by_flow ON reported_totals (kind, receiver, as_of_latest);
CREATE INDEX reported_totals_by_agreement ON reported_totals (scope_agreement);

-- Offers (offer.reported), current ones; `projections totals` shows the outstanding ones.
CREATE TABLE offers (
    id TEXT PRIMARY KEY REFERENCES facts (id),
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    value INTEGER NOT NULL,
    qualifier TEXT NOT NULL,
    as_of TEXT NOT NULL,
    as_of_earliest TEXT NOT NULL,
    as_of_latest TEXT NOT NULL,
    agreement TEXT,
    attributed_to TEXT NOT NULL,
    party TEXT NOT NULL,
    attribution TEXT,                 -- inferred, or NULL: stated by the report
    seq INTEGER NOT NULL
);
CREATE INDEX offers_by_flow ON offers (kind, sender, receiver, as_of_earliest, as_of_latest, seq);

-- Notes (note.recorded), current ones.
CREATE TABLE notes (
    id TEXT PRIMARY KEY REFERENCES facts (id),
    text TEXT NOT NULL,
    round TEXT,
    agreement TEXT,
    kind TEXT,
    attributed_to TEXT NOT NULL,
    party TEXT NOT NULL,
    attribution TEXT,                 -- inferred, or NULL: stated by the report
    document TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX notes_by_round ON notes (round, seq);

-- Rounds whose accounts of a flow disagree.
CREATE VIEW discrepant_rounds AS
SELECT r.earliest, r.latest, r.occurred_on, f.round, f.kind, f.sender, f.receiver,
       f.low, f.high, f.best, f.best_party, f.accounts
FROM flows f JOIN rounds r USING (round)
WHERE f.discrepant = 1;

-- Each party's account per round and flow: one column per party, NULL where that party
-- gave no account; with several accounts, the latest one and how many there are.
CREATE VIEW party_accounts AS
SELECT f.round, r.occurred_on, r.earliest, r.latest, f.kind, f.sender, f.receiver,
       (SELECT a.value FROM accounts a WHERE a.round = f.round AND a.kind = f.kind
          AND a.sender = f.sender AND a.receiver = f.receiver AND a.party = 'UA'
          ORDER BY a.seq DESC LIMIT 1) AS ua_value,
       (SELECT a.value FROM accounts a WHERE a.round = f.round AND a.kind = f.kind
          AND a.sender = f.sender AND a.receiver = f.receiver AND a.party = 'RU'
          ORDER BY a.seq DESC LIMIT 1) AS ru_value,
       (SELECT a.value FROM accounts a WHERE a.round = f.round AND a.kind = f.kind
          AND a.sender = f.sender AND a.receiver = f.receiver AND a.party = 'other'
          ORDER BY a.seq DESC LIMIT 1) AS other_value,
       f.accounts, f.best, f.discrepant
FROM flows f JOIN rounds r USING (round);
