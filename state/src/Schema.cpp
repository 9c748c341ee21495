#include "Schema.h"

#include "SqliteConnection.h"

#include <SQLiteCpp/Transaction.h>

#include <string>

namespace soar::state {
namespace {

struct Migration {
    int version;
    const char* sql;
};

// Version 1: the (route, target) registry with its health, cursors, pass history, id maps with
// content hashes, playbook runs and dead letters.
//
// - `targets` gives each (route, target) a small integer key, so the large tables store 8 bytes
//   instead of two names per row. Rows are never deleted (cached ids stay valid).
// - The id maps are WITHOUT ROWID tables clustered on (target_ref, source_id): a lookup by
//   source id is one b-tree descent, with no second lookup through a rowid.
// - artifact_map references container_map with ON DELETE CASCADE: forgetting a container (the
//   target lost it) forgets its artifacts. Writers must upsert (ON CONFLICT DO UPDATE), never
//   INSERT OR REPLACE, which deletes first and would cascade.
// - playbook_runs is unique on (target_ref, trigger_key): the same trigger is recorded once.
//   A partial index finds pending runs without scanning finished ones.
constexpr const char* kV1 = R"sql(
CREATE TABLE targets (
    id            INTEGER PRIMARY KEY,
    route         TEXT NOT NULL,
    target        TEXT NOT NULL,
    last_error    TEXT,
    last_error_at TEXT,
    failing_since TEXT,
    UNIQUE (route, target)
);
CREATE TABLE cursors (
    target_ref INTEGER NOT NULL REFERENCES targets (id),
    stream     TEXT NOT NULL,
    timestamp  TEXT NOT NULL,
    last_id    INTEGER NOT NULL,
    PRIMARY KEY (target_ref, stream)
) WITHOUT ROWID;
CREATE TABLE passes (
    id                   INTEGER PRIMARY KEY,
    target_ref           INTEGER NOT NULL REFERENCES targets (id),
    started_at           TEXT NOT NULL,
    finished_at          TEXT NOT NULL,
    outcome              TEXT NOT NULL,
    containers_created   INTEGER NOT NULL,
    containers_updated   INTEGER NOT NULL,
    containers_unchanged INTEGER NOT NULL,
    artifacts_created    INTEGER NOT NULL,
    artifacts_updated    INTEGER NOT NULL,
    artifacts_unchanged  INTEGER NOT NULL,
    errors               INTEGER NOT NULL
);
CREATE INDEX passes_by_target ON passes (target_ref, id);
CREATE TABLE container_map (
    target_ref            INTEGER NOT NULL REFERENCES targets (id),
    source_id             INTEGER NOT NULL,
    target_id             INTEGER NOT NULL,
    content_hash          TEXT NOT NULL,
    create_time           TEXT,
    container_update_time TEXT,
    artifact_update_time  TEXT,
    PRIMARY KEY (target_ref, source_id)
) WITHOUT ROWID;
CREATE TABLE artifact_map (
    target_ref          INTEGER NOT NULL,
    source_id           INTEGER NOT NULL,
    target_id           INTEGER NOT NULL,
    source_container_id INTEGER NOT NULL,
    content_hash        TEXT NOT NULL,
    update_time         TEXT,
    PRIMARY KEY (target_ref, source_id),
    FOREIGN KEY (target_ref, source_container_id)
        REFERENCES container_map (target_ref, source_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX artifact_map_by_container ON artifact_map (target_ref, source_container_id);
CREATE TABLE playbook_runs (
    id                  INTEGER PRIMARY KEY,
    target_ref          INTEGER NOT NULL REFERENCES targets (id),
    trigger_key         TEXT NOT NULL,
    source_container_id INTEGER NOT NULL,
    target_container_id INTEGER NOT NULL,
    playbook            TEXT NOT NULL,
    trigger_kind        TEXT NOT NULL CHECK (trigger_kind IN ('create', 'update')),
    run_id              INTEGER,
    status              TEXT NOT NULL,
    message             TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (target_ref, trigger_key)
);
CREATE INDEX playbook_runs_pending ON playbook_runs (target_ref, id)
    WHERE status IN ('intent', 'running');
CREATE TABLE dead_letters (
    target_ref INTEGER NOT NULL REFERENCES targets (id),
    kind       TEXT NOT NULL,
    source_id  INTEGER NOT NULL,
    message    TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (target_ref, kind, source_id)
) WITHOUT ROWID;
)sql";

// Version 2: notes and comments travel with their container. note_map is artifact_map's twin,
// keyed by kind ('note' or 'comment') as well; passes count what they copied.
constexpr const char* kV2 = R"sql(
CREATE TABLE note_map (
    target_ref          INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('note', 'comment')),
    source_id           INTEGER NOT NULL,
    target_id           INTEGER NOT NULL,
    source_container_id INTEGER NOT NULL,
    content_hash        TEXT NOT NULL,
    update_time         TEXT,
    PRIMARY KEY (target_ref, kind, source_id),
    FOREIGN KEY (target_ref, source_container_id)
        REFERENCES container_map (target_ref, source_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX note_map_by_container ON note_map (target_ref, source_container_id);
ALTER TABLE passes ADD COLUMN notes_created INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN notes_updated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN comments_created INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 3: poison strikes, per (route, target) and source container: how many passes in a
// row the target answered a write of the container with a 500, and when the first of them
// started. Clustered like the id maps, so a container's row is one b-tree descent.
constexpr const char* kV3 = R"sql(
CREATE TABLE strikes (
    target_ref    INTEGER NOT NULL REFERENCES targets (id),
    source_id     INTEGER NOT NULL,
    passes        INTEGER NOT NULL,
    first_pass_at TEXT NOT NULL,
    PRIMARY KEY (target_ref, source_id)
) WITHOUT ROWID;
)sql";

// Version 4: vault files and workbook tasks travel with their container. note_map holds them
// too (kind 'attachment' with content_hash = the file's SHA-1, kind 'task'); SQLite cannot widen a
// CHECK constraint, so the table is rebuilt and its rows copied. Passes count the files and bytes
// they copied, the workbooks and tasks they wrote and the copies left without their owner.
constexpr const char* kV4 = R"sql(
CREATE TABLE note_map_v4 (
    target_ref          INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('note', 'comment', 'attachment', 'task')),
    source_id           INTEGER NOT NULL,
    target_id           INTEGER NOT NULL,
    source_container_id INTEGER NOT NULL,
    content_hash        TEXT NOT NULL,
    update_time         TEXT,
    PRIMARY KEY (target_ref, kind, source_id),
    FOREIGN KEY (target_ref, source_container_id)
        REFERENCES container_map (target_ref, source_id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO note_map_v4 SELECT target_ref, kind, source_id, target_id, source_container_id,
    content_hash, update_time FROM note_map;
DROP TABLE note_map;
ALTER TABLE note_map_v4 RENAME TO note_map;
CREATE INDEX note_map_by_container ON note_map (target_ref, source_container_id);
ALTER TABLE passes ADD COLUMN files_copied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN file_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN workbooks_copied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN tasks_written INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN owners_unmatched INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 5: two-way routes. mirror_state keeps, per container mapping, the mirrored fields as
// each side held them when last settled (forgotten with the mapping). The target's changes are
// read by target id, so container_map and note_map gain an index on it. Passes count what went
// back to the source, the conflicts settled and the runs reported. A playbook run's report to
// the source (report_back) is tracked from intent to sent; runs that ended before this version
// are never reported.
constexpr const char* kV5 = R"sql(
CREATE TABLE mirror_state (
    target_ref    INTEGER NOT NULL,
    source_id     INTEGER NOT NULL,
    source_fields TEXT NOT NULL,
    target_fields TEXT NOT NULL,
    PRIMARY KEY (target_ref, source_id),
    FOREIGN KEY (target_ref, source_id)
        REFERENCES container_map (target_ref, source_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX container_map_by_target ON container_map (target_ref, target_id);
CREATE INDEX note_map_by_target ON note_map (target_ref, kind, target_id);
ALTER TABLE passes ADD COLUMN fields_mirrored INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN notes_mirrored INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN conflicts_source_won INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN conflicts_target_won INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN results_reported INTEGER NOT NULL DEFAULT 0;
ALTER TABLE playbook_runs ADD COLUMN report TEXT NOT NULL DEFAULT 'none'
    CHECK (report IN ('none', 'sending', 'sent', 'skipped'));
UPDATE playbook_runs SET report = 'skipped' WHERE status NOT IN ('intent', 'running');
CREATE INDEX playbook_runs_unreported ON playbook_runs (target_ref, id)
    WHERE report IN ('none', 'sending') AND status NOT IN ('intent', 'running');
)sql";

// Version 6: custom lists and deletions. list_copies keeps, per target and list name, the hash
// of the content last written there (lists have no timestamps: a pass compares hashes).
// reconcile keeps where a target's reconcile is and what the last one cost; tombstones keep the
// containers found deleted on the source (their mappings are forgotten), and container_map the
// generation of each copy (one more than the id's tombstones). Passes count the lists written
// and failed, and the deletions found and handled.
constexpr const char* kV6 = R"sql(
CREATE TABLE list_copies (
    target_ref   INTEGER NOT NULL REFERENCES targets (id),
    name         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    rows         INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    written_at   TEXT NOT NULL,
    PRIMARY KEY (target_ref, name)
) WITHOUT ROWID;
ALTER TABLE passes ADD COLUMN lists_written INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN lists_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN deletions_found INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN copies_closed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN copies_deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE container_map ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
CREATE TABLE reconcile (
    target_ref    INTEGER PRIMARY KEY REFERENCES targets (id),
    started_at    TEXT,
    after_id      INTEGER NOT NULL,
    checked       INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    found         INTEGER NOT NULL,
    finished_at   TEXT,
    last_checked  INTEGER NOT NULL,
    last_requests INTEGER NOT NULL,
    last_found    INTEGER NOT NULL
);
CREATE TABLE tombstones (
    target_ref INTEGER NOT NULL REFERENCES targets (id),
    source_id  INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    target_id  INTEGER NOT NULL,
    found_at   TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('kept', 'closed', 'deleted', 'gone')),
    PRIMARY KEY (target_ref, source_id, generation)
) WITHOUT ROWID;
)sql";

// Version 7: one owner per route (design §5). leases holds each route's lease: its holder, the
// epoch that fences writes of earlier holders, the tenure's start and end (store clock, ms) and
// a pending hand-over request. A request for a route never taken creates its row with an empty
// holder at epoch 0; a request for a held or released lease keeps its holder and epoch.
// lease_nodes holds the daemons that said they are alive, until their heartbeat lapses.
constexpr const char* kV7 = R"sql(
CREATE TABLE leases (
    route       TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    epoch       INTEGER NOT NULL DEFAULT 0,
    acquired_ms INTEGER NOT NULL DEFAULT 0,
    expires_ms  INTEGER NOT NULL DEFAULT 0,
    wanted_by   TEXT NOT NULL DEFAULT '',
    wanted_ms   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE lease_nodes (
    holder     TEXT PRIMARY KEY,
    seen_ms    INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Index i holds the migration to version i + 1.
constexpr Migration kMigrations[] = {
    {1, kV1}, {2, kV2}, {3, kV3}, {4, kV4}, {5, kV5}, {6, kV6}, {7, kV7},
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kLatestSchemaVersion,
              "one migration per schema version");

}  // namespace

void migrate(SqliteConnection& conn, int target_version) {
    for (const auto& migration : kMigrations) {
        if (migration.version > target_version) break;
        if (conn.userVersion() >= migration.version) continue;
        SQLite::Transaction txn(conn.db(), SQLite::TransactionBehavior::IMMEDIATE);
        // Another process may have migrated while we waited for the write lock.
        if (conn.userVersion() >= migration.version) continue;
        conn.db().exec(migration.sql);
        conn.db().exec("PRAGMA application_id = " + std::to_string(kApplicationId));
        conn.db().exec("PRAGMA user_version = " + std::to_string(migration.version));
        txn.commit();
    }
}

}  // namespace soar::state
