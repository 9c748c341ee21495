// SqlStore: playbook runs from intent to outcome (PlaybookRunStore), and the intent insert
// `commit` runs.

#include "SqliteAccess.h"
#include "SqliteRows.h"

#include <utility>

namespace soar::state {
namespace sqlite {
namespace {

// One column list for every SELECT of a run, so `runFrom` decodes them all. Statements are
// built once and never change: the per-connection cache keys on the text's address.
const std::string kRunColumns =
    "SELECT id, trigger_key, source_container_id, target_container_id, playbook, trigger_kind, "
    "run_id, status, message, created_at, updated_at, report FROM playbook_runs ";
const std::string kSelectRunByTrigger = kRunColumns + "WHERE target_ref = ?1 AND trigger_key = ?2";
const std::string kSelectUnreportedRuns =
    kRunColumns +
    "WHERE target_ref = ?1 AND report IN ('none', 'sending') AND status NOT IN ('intent', "
    "'running') ORDER BY id";
constexpr const char* kSetReport = "UPDATE playbook_runs SET report = ?2 WHERE id = ?1";
const std::string kSelectPendingRuns =
    kRunColumns + "WHERE target_ref = ?1 AND status IN ('intent', 'running') ORDER BY id";

constexpr const char* kInsertIntent =
    "INSERT INTO playbook_runs (target_ref, trigger_key, source_container_id, "
    "target_container_id, playbook, trigger_kind, status, message, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'intent', ?7, ?8, ?8) "
    "ON CONFLICT (target_ref, trigger_key) DO NOTHING";
constexpr const char* kUpdateRun =
    "UPDATE playbook_runs SET status = ?2, run_id = coalesce(?3, run_id), message = ?4, "
    "updated_at = ?5 WHERE id = ?1";
constexpr const char* kCountRuns =
    "SELECT status, count(*) FROM playbook_runs WHERE target_ref = ?1 GROUP BY status";

std::optional<RunStatus> parseRunStatus(std::string_view name) {
    for (auto s : {RunStatus::Intent, RunStatus::Running, RunStatus::Success, RunStatus::Failed,
                   RunStatus::Cancelled, RunStatus::TimedOut}) {
        if (toString(s) == name) return s;
    }
    return std::nullopt;
}

RunStatus runStatusOf(const Connection& conn, const std::string& name) {
    const auto parsed = parseRunStatus(name);
    if (!parsed) unknownValue(conn, "playbook run status", name);
    return *parsed;
}

/// The one decoder of a `kRunColumns` row.
PlaybookRun runFrom(const Connection& conn, Statement& row, const RouteTarget& key) {
    PlaybookRun run;
    run.id = row.getColumn(0).getInt64();
    run.key = key;
    run.trigger_key = row.getColumn(1).getString();
    run.source_container_id = row.getColumn(2).getInt64();
    run.target_container_id = row.getColumn(3).getInt64();
    run.playbook = row.getColumn(4).getString();
    run.trigger =
        row.getColumn(5).getString() == "update" ? TriggerKind::Update : TriggerKind::Create;
    if (!row.getColumn(6).isNull()) run.run_id = row.getColumn(6).getInt64();
    run.status = runStatusOf(conn, row.getColumn(7).getString());
    run.message = row.getColumn(8).getString();
    run.created_at = row.getColumn(9).getString();
    run.updated_at = row.getColumn(10).getString();
    const auto report = row.getColumn(11).getString();
    for (auto r :
         {ReportState::None, ReportState::Sending, ReportState::Sent, ReportState::Skipped}) {
        if (toString(r) == report) run.report = r;
    }
    return run;
}

std::optional<PlaybookRun> readRunByTrigger(Connection& conn, std::int64_t ref,
                                            const RouteTarget& key,
                                            const std::string& trigger_key) {
    Query q(conn, kSelectRunByTrigger.c_str());
    q->bind(1, ref);
    q->bind(2, trigger_key);
    if (!q->executeStep()) return std::nullopt;
    return runFrom(conn, *q, key);
}

}  // namespace

RecordedIntent insertIntent(Connection& conn, std::int64_t ref, const PlaybookRun& run) {
    int inserted = 0;
    {
        Query q(conn, kInsertIntent);
        q->bind(1, ref);
        q->bind(2, run.trigger_key);
        q->bind(3, run.source_container_id);
        q->bind(4, run.target_container_id);
        q->bind(5, run.playbook);
        bindText(*q, 6, toString(run.trigger));
        q->bind(7, conn.storedText(run.message));
        q->bind(8, run.created_at);
        inserted = q->exec();
    }
    auto stored = readRunByTrigger(conn, ref, run.key, run.trigger_key);
    return RecordedIntent{std::move(*stored), inserted > 0};
}

std::map<RunStatus, std::int64_t> readRunCounts(Connection& conn, std::int64_t ref) {
    std::map<RunStatus, std::int64_t> out;
    Query q(conn, kCountRuns);
    q->bind(1, ref);
    while (q->executeStep()) {
        out[runStatusOf(conn, q->getColumn(0).getString())] = q->getColumn(1).getInt64();
    }
    return out;
}

}  // namespace sqlite

using namespace sqlite;

RecordedIntent SqlStore::recordPlaybookIntent(const PlaybookRun& run) {
    return write("recording a playbook intent", run.key,
                 [&](Connection& conn, std::int64_t ref) { return insertIntent(conn, ref, run); });
}

bool SqlStore::updatePlaybookRun(std::int64_t id, RunStatus status,
                                 std::optional<std::int64_t> run_id, const std::string& message,
                                 const std::string& at) {
    return writeTxn("updating a playbook run", [&](Connection& conn) {
        checkRunFence(conn, id);
        Query q(conn, kUpdateRun);
        q->bind(1, id);
        bindText(*q, 2, toString(status));
        if (run_id) {
            q->bind(3, *run_id);
        } else {
            q->bind(3);
        }
        q->bind(4, conn.storedText(message));
        q->bind(5, at);
        return q->exec() > 0;
    });
}

std::optional<PlaybookRun> SqlStore::playbookRun(const RouteTarget& key,
                                                 const std::string& trigger_key) const {
    return read("reading a playbook run", [&](Connection& conn) -> std::optional<PlaybookRun> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return std::nullopt;
        return readRunByTrigger(conn, *ref, key, trigger_key);
    });
}

std::vector<PlaybookRun> SqlStore::pendingPlaybookRuns(const RouteTarget& key) const {
    return read("listing pending playbook runs", [&](Connection& conn) -> std::vector<PlaybookRun> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        std::vector<PlaybookRun> out;
        Query q(conn, kSelectPendingRuns.c_str());
        q->bind(1, *ref);
        while (q->executeStep()) out.push_back(runFrom(conn, *q, key));
        return out;
    });
}

std::vector<PlaybookRun> SqlStore::unreportedPlaybookRuns(const RouteTarget& key) const {
    return read("listing unreported playbook runs",
                [&](Connection& conn) -> std::vector<PlaybookRun> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return {};
                    std::vector<PlaybookRun> out;
                    Query q(conn, kSelectUnreportedRuns.c_str());
                    q->bind(1, *ref);
                    while (q->executeStep()) out.push_back(runFrom(conn, *q, key));
                    return out;
                });
}

bool SqlStore::setPlaybookReport(std::int64_t id, ReportState state) {
    return writeTxn("recording a playbook run's report", [&](Connection& conn) {
        checkRunFence(conn, id);
        Query q(conn, kSetReport);
        q->bind(1, id);
        bindText(*q, 2, toString(state));
        return q->exec() > 0;
    });
}

std::map<RunStatus, std::int64_t> SqlStore::playbookRunCounts(const RouteTarget& key) const {
    return read("counting playbook runs",
                [&](Connection& conn) -> std::map<RunStatus, std::int64_t> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return {};
                    return readRunCounts(conn, *ref);
                });
}

}  // namespace soar::state
