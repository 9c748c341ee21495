// SqlStore: pass history and target health (PassLog).

#include "SqliteAccess.h"
#include "SqliteRows.h"

#include <utility>

namespace soar::state {
namespace sqlite {
namespace {

constexpr const char* kInsertPass =
    "INSERT INTO passes (target_ref, started_at, finished_at, outcome, containers_created, "
    "containers_updated, containers_unchanged, artifacts_created, artifacts_updated, "
    "artifacts_unchanged, errors, notes_created, notes_updated, comments_created, files_copied, "
    "file_bytes, workbooks_copied, tasks_written, owners_unmatched, fields_mirrored, "
    "notes_mirrored, conflicts_source_won, conflicts_target_won, results_reported, "
    "lists_written, lists_failed, deletions_found, copies_closed, copies_deleted) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
    "?23, ?24, ?25, ?26, ?27, ?28, ?29)";
constexpr const char* kTrimPasses =
    "DELETE FROM passes WHERE target_ref = ?1 AND id <= (SELECT id FROM passes "
    "WHERE target_ref = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)";
constexpr const char* kSelectPasses =
    "SELECT started_at, finished_at, outcome, containers_created, containers_updated, "
    "containers_unchanged, artifacts_created, artifacts_updated, artifacts_unchanged, errors, "
    "notes_created, notes_updated, comments_created, files_copied, file_bytes, "
    "workbooks_copied, tasks_written, owners_unmatched, fields_mirrored, notes_mirrored, "
    "conflicts_source_won, conflicts_target_won, results_reported, lists_written, lists_failed, "
    "deletions_found, copies_closed, copies_deleted FROM passes WHERE target_ref = ?1 ORDER BY id "
    "DESC LIMIT ?2";

constexpr const char* kMarkFailing =
    "UPDATE targets SET last_error = ?2, last_error_at = ?3, "
    "failing_since = coalesce(failing_since, ?3) WHERE id = ?1";
constexpr const char* kRecordError =
    "UPDATE targets SET last_error = ?2, last_error_at = ?3 WHERE id = ?1";
constexpr const char* kMarkHealthy = "UPDATE targets SET failing_since = NULL WHERE id = ?1";
constexpr const char* kSelectHealth =
    "SELECT last_error, last_error_at, failing_since FROM targets WHERE id = ?1";

/// The one decoder of a `kSelectPasses` row.
PassRecord passFrom(Statement& row) {
    PassRecord pass;
    pass.started_at = row.getColumn(0).getString();
    pass.finished_at = row.getColumn(1).getString();
    pass.outcome = row.getColumn(2).getString();
    pass.counts.containers_created = row.getColumn(3).getInt64();
    pass.counts.containers_updated = row.getColumn(4).getInt64();
    pass.counts.containers_unchanged = row.getColumn(5).getInt64();
    pass.counts.artifacts_created = row.getColumn(6).getInt64();
    pass.counts.artifacts_updated = row.getColumn(7).getInt64();
    pass.counts.artifacts_unchanged = row.getColumn(8).getInt64();
    pass.counts.errors = row.getColumn(9).getInt64();
    pass.counts.notes_created = row.getColumn(10).getInt64();
    pass.counts.notes_updated = row.getColumn(11).getInt64();
    pass.counts.comments_created = row.getColumn(12).getInt64();
    pass.counts.files_copied = row.getColumn(13).getInt64();
    pass.counts.file_bytes = row.getColumn(14).getInt64();
    pass.counts.workbooks_copied = row.getColumn(15).getInt64();
    pass.counts.tasks_written = row.getColumn(16).getInt64();
    pass.counts.owners_unmatched = row.getColumn(17).getInt64();
    pass.counts.fields_mirrored = row.getColumn(18).getInt64();
    pass.counts.notes_mirrored = row.getColumn(19).getInt64();
    pass.counts.conflicts_source_won = row.getColumn(20).getInt64();
    pass.counts.conflicts_target_won = row.getColumn(21).getInt64();
    pass.counts.results_reported = row.getColumn(22).getInt64();
    pass.counts.lists_written = row.getColumn(23).getInt64();
    pass.counts.lists_failed = row.getColumn(24).getInt64();
    pass.counts.deletions_found = row.getColumn(25).getInt64();
    pass.counts.copies_closed = row.getColumn(26).getInt64();
    pass.counts.copies_deleted = row.getColumn(27).getInt64();
    return pass;
}

}  // namespace

std::vector<PassRecord> readPasses(Connection& conn, std::int64_t ref, std::size_t limit) {
    std::vector<PassRecord> out;
    Query q(conn, kSelectPasses);
    q->bind(1, ref);
    q->bind(2, limitOf(limit));
    while (q->executeStep()) out.push_back(passFrom(*q));
    return out;
}

TargetHealth readHealth(Connection& conn, std::int64_t ref) {
    TargetHealth health;
    Query q(conn, kSelectHealth);
    q->bind(1, ref);
    if (q->executeStep()) {
        health.last_error = optionalText(q->getColumn(0));
        health.last_error_at = optionalText(q->getColumn(1));
        health.failing_since = optionalText(q->getColumn(2));
    }
    return health;
}

}  // namespace sqlite

using namespace sqlite;

void SqlStore::recordPass(const RouteTarget& key, const PassRecord& pass) {
    write("recording a pass", key, [&](Connection& conn, std::int64_t ref) {
        {
            Query q(conn, kInsertPass);
            q->bind(1, ref);
            q->bind(2, pass.started_at);
            q->bind(3, pass.finished_at);
            q->bind(4, pass.outcome);
            q->bind(5, pass.counts.containers_created);
            q->bind(6, pass.counts.containers_updated);
            q->bind(7, pass.counts.containers_unchanged);
            q->bind(8, pass.counts.artifacts_created);
            q->bind(9, pass.counts.artifacts_updated);
            q->bind(10, pass.counts.artifacts_unchanged);
            q->bind(11, pass.counts.errors);
            q->bind(12, pass.counts.notes_created);
            q->bind(13, pass.counts.notes_updated);
            q->bind(14, pass.counts.comments_created);
            q->bind(15, pass.counts.files_copied);
            q->bind(16, pass.counts.file_bytes);
            q->bind(17, pass.counts.workbooks_copied);
            q->bind(18, pass.counts.tasks_written);
            q->bind(19, pass.counts.owners_unmatched);
            q->bind(20, pass.counts.fields_mirrored);
            q->bind(21, pass.counts.notes_mirrored);
            q->bind(22, pass.counts.conflicts_source_won);
            q->bind(23, pass.counts.conflicts_target_won);
            q->bind(24, pass.counts.results_reported);
            q->bind(25, pass.counts.lists_written);
            q->bind(26, pass.counts.lists_failed);
            q->bind(27, pass.counts.deletions_found);
            q->bind(28, pass.counts.copies_closed);
            q->bind(29, pass.counts.copies_deleted);
            q->exec();
        }
        Query trim(conn, kTrimPasses);
        trim->bind(1, ref);
        trim->bind(2, static_cast<std::int64_t>(kKeptPasses));
        trim->exec();
    });
}

std::optional<PassRecord> SqlStore::lastPass(const RouteTarget& key) const {
    auto passes = recentPasses(key, 1);
    if (passes.empty()) return std::nullopt;
    return std::move(passes.front());
}

std::vector<PassRecord> SqlStore::recentPasses(const RouteTarget& key, std::size_t limit) const {
    return read("reading passes", [&](Connection& conn) -> std::vector<PassRecord> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        return readPasses(conn, *ref, limit);
    });
}

void SqlStore::markFailing(const RouteTarget& key, const std::string& message,
                           const std::string& at) {
    write("marking the target failing", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kMarkFailing);
        q->bind(1, ref);
        q->bind(2, conn.storedText(message));
        q->bind(3, at);
        q->exec();
    });
}

void SqlStore::recordError(const RouteTarget& key, const std::string& message,
                           const std::string& at) {
    write("recording the last error", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kRecordError);
        q->bind(1, ref);
        q->bind(2, conn.storedText(message));
        q->bind(3, at);
        q->exec();
    });
}

void SqlStore::markHealthy(const RouteTarget& key) {
    write("marking the target healthy", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kMarkHealthy);
        q->bind(1, ref);
        q->exec();
    });
}

TargetHealth SqlStore::health(const RouteTarget& key) const {
    return read("reading target health", [&](Connection& conn) -> TargetHealth {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        return readHealth(conn, *ref);
    });
}

}  // namespace soar::state
