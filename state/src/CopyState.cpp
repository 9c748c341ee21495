// copyState: a SQLite state file copied whole into a PostgreSQL state database.
//
// One list names every table of the schema with its columns, in an order that satisfies the
// foreign keys; the copy, the emptying (in reverse), the table locks and the check that the file
// holds nothing the list does not know all come from it. Values travel as text or NULL: SQLite
// gives an integer column's value as its decimal text, and PostgreSQL reads a text parameter as
// the type of the column it is inserted into.

#include "soar/state/CopyState.h"

#include "PgConnection.h"
#include "Schema.h"
#include "SqliteConnection.h"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace soar::state {
namespace {

struct TableSpec {
    const char* name;
    /// Every column, as in the current schema.
    const char* columns;
    /// The identity column whose sequence must move past the copied ids, if any.
    const char* identity;
};

// Parents before the tables that reference them: targets first, container_map before the maps
// and two-way fields that cascade from it.
constexpr TableSpec kTables[] = {
    {"targets", "id, route, target, last_error, last_error_at, failing_since", "id"},
    {"cursors", "target_ref, stream, timestamp, last_id", nullptr},
    {"passes",
     "id, target_ref, started_at, finished_at, outcome, containers_created, containers_updated, "
     "containers_unchanged, artifacts_created, artifacts_updated, artifacts_unchanged, errors, "
     "notes_created, notes_updated, comments_created, files_copied, file_bytes, workbooks_copied, "
     "tasks_written, owners_unmatched, fields_mirrored, notes_mirrored, conflicts_source_won, "
     "conflicts_target_won, results_reported, lists_written, lists_failed, deletions_found, "
     "copies_closed, copies_deleted",
     "id"},
    {"container_map",
     "target_ref, source_id, target_id, content_hash, create_time, container_update_time, "
     "artifact_update_time, generation",
     nullptr},
    {"artifact_map",
     "target_ref, source_id, target_id, source_container_id, content_hash, update_time", nullptr},
    {"note_map",
     "target_ref, kind, source_id, target_id, source_container_id, content_hash, update_time",
     nullptr},
    {"mirror_state", "target_ref, source_id, source_fields, target_fields", nullptr},
    {"playbook_runs",
     "id, target_ref, trigger_key, source_container_id, target_container_id, playbook, "
     "trigger_kind, run_id, status, message, created_at, updated_at, report",
     "id"},
    {"dead_letters", "target_ref, kind, source_id, message, attempts, first_seen, last_seen",
     nullptr},
    {"strikes", "target_ref, source_id, passes, first_pass_at", nullptr},
    {"list_copies", "target_ref, name, content_hash, rows, bytes, written_at", nullptr},
    {"reconcile",
     "target_ref, started_at, after_id, checked, requests, found, finished_at, last_checked, "
     "last_requests, last_found",
     nullptr},
    {"tombstones", "target_ref, source_id, generation, target_id, found_at, action", nullptr},
    {"leases", "route, holder, epoch, acquired_ms, expires_ms, wanted_by, wanted_ms", nullptr},
    {"lease_nodes", "holder, seen_ms, expires_ms", nullptr},
};

/// Rows per multi-row INSERT: few round trips, and at most 30 columns x 200 = 6000 parameters,
/// far below either database's limit.
constexpr int kBatchRows = 200;

/// A table's statements, built once: the connections cache statements by their text's address,
/// so the texts live as long as the program.
struct TableSql {
    const TableSpec* spec;
    std::vector<std::string> columns;
    std::string select;
    std::string insert_one;
    std::string insert_batch;
};

std::string valuesRow(int first, std::size_t count) {
    std::string out = "(";
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) out += ", ";
        out += "?" + std::to_string(first + static_cast<int>(i));
    }
    return out + ")";
}

const std::vector<TableSql>& tableSql() {
    static const std::vector<TableSql> tables = [] {
        std::vector<TableSql> out;
        for (const auto& spec : kTables) {
            TableSql t{&spec, {}, {}, {}, {}};
            const std::string list = spec.columns;
            for (std::size_t pos = 0; pos < list.size();) {
                const auto comma = std::min(list.find(", ", pos), list.size());
                t.columns.push_back(list.substr(pos, comma - pos));
                pos = comma + 2;
            }
            const auto n = t.columns.size();
            t.select = "SELECT " + list + " FROM " + spec.name;
            const std::string insert =
                "INSERT INTO " + std::string(spec.name) + " (" + list + ") VALUES ";
            t.insert_one = insert + valuesRow(1, n);
            t.insert_batch = insert;
            for (int row = 0; row < kBatchRows; ++row) {
                if (row > 0) t.insert_batch += ", ";
                t.insert_batch += valuesRow(row * static_cast<int>(n) + 1, n);
            }
            out.push_back(std::move(t));
        }
        return out;
    }();
    return tables;
}

constexpr const char* kSourceTables =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
    "ESCAPE '\\' ORDER BY name";
constexpr const char* kSourceColumns = "SELECT name FROM pragma_table_info(?1) ORDER BY cid";
constexpr const char* kTargetHolds =
    "SELECT (SELECT count(*) FROM targets), (SELECT count(*) FROM leases), "
    "(SELECT count(*) FROM lease_nodes)";

/// A `StateError` of `kind` about the copy from `from` into `to`.
StateError copyError(StateError::Kind kind, const StateOptions& from, const StateOptions& to,
                     const std::string& detail) {
    return StateError(kind, "copying the state from " + from.describe() + " into " + to.describe() +
                                " failed: " + detail);
}

// The helpers below throw `StateError` with what went wrong; `copyState` adds where.

/// Throws unless every table of the file, with every column, is in `kTables`: a column the
/// copy does not know would otherwise be left behind without a word.
void checkSourceSchema(Connection& source) {
    std::vector<std::string> tables;
    {
        Query q(source, kSourceTables);
        while (q->executeStep()) tables.push_back(q->getColumn(0).getString());
    }
    for (const auto& name : tables) {
        const auto& all = tableSql();
        const auto known = std::find_if(all.begin(), all.end(),
                                        [&](const TableSql& t) { return name == t.spec->name; });
        if (known == all.end()) {
            throw StateError(StateError::Kind::Corrupt,
                             "the file holds a table this soar-sync cannot copy: " + name);
        }
        Query q(source, kSourceColumns);
        q->bind(1, name);
        std::size_t count = 0;
        while (q->executeStep()) {
            const auto column = q->getColumn(0).getString();
            ++count;
            if (std::find(known->columns.begin(), known->columns.end(), column) ==
                known->columns.end()) {
                throw StateError(StateError::Kind::Corrupt,
                                 "table " + name +
                                     " of the file has a column this soar-sync "
                                     "cannot copy: " +
                                     column);
            }
        }
        if (count != known->columns.size()) {
            throw StateError(StateError::Kind::Corrupt,
                             "table " + name + " of the file lacks columns of schema version " +
                                 std::to_string(kLatestSchemaVersion));
        }
    }
    if (tables.size() != tableSql().size()) {
        throw StateError(StateError::Kind::Corrupt, "the file lacks tables of schema version " +
                                                        std::to_string(kLatestSchemaVersion));
    }
}

/// The file, read-only, at the current schema version (an older file is migrated first).
std::unique_ptr<SqliteConnection> openSource(const StateOptions& from) {
    auto source = SqliteConnection::open(from.path, from.busy_timeout,
                                         SqliteConnection::Mode::ReadOnly, from.quick_check);
    if (source->userVersion() >= kLatestSchemaVersion) return source;
    source.reset();
    {
        auto writer =
            SqliteConnection::open(from.path, from.busy_timeout, SqliteConnection::Mode::ReadWrite,
                                   /*quick_check=*/false);
        try {
            migrate(*writer, kLatestSchemaVersion);
        } catch (const SQLite::Exception& e) {
            throw translateError(e, from.path, "migrating the schema");
        }
    }
    return SqliteConnection::open(from.path, from.busy_timeout, SqliteConnection::Mode::ReadOnly,
                                  /*quick_check=*/false);
}

/// Refuses a database that holds a state, or empties it (`into_non_empty`).
void prepareTarget(Connection& target, bool into_non_empty) {
    std::int64_t routes = 0;
    std::int64_t leases = 0;
    std::int64_t nodes = 0;
    {
        Query q(target, kTargetHolds);
        q->executeStep();
        routes = q->getColumn(0).getInt64();
        leases = q->getColumn(1).getInt64();
        nodes = q->getColumn(2).getInt64();
    }
    if (routes + leases + nodes == 0) return;
    if (!into_non_empty) {
        throw StateError(StateError::Kind::Unwritable,
                         "the database already holds a state (" + std::to_string(routes) +
                             " route/target rows, " + std::to_string(leases) + " leases, " +
                             std::to_string(nodes) +
                             " daemon heartbeats); nothing was copied. Point --to at an empty "
                             "database, or give --into-non-empty to replace what it holds");
    }
    const auto& all = tableSql();
    for (auto t = all.rbegin(); t != all.rend(); ++t) {
        target.execute("DELETE FROM " + std::string(t->spec->name));
    }
}

/// Streams one table from `source` into `target`; the rows copied.
std::int64_t copyTable(Connection& source, Connection& target, const TableSql& table) {
    const auto width = table.columns.size();
    // One batch of values at a time: NULL or the value's text.
    std::vector<std::optional<std::string>> batch;
    batch.reserve(width * kBatchRows);
    const auto flush = [&] {
        if (batch.empty()) return;
        const bool full = batch.size() == width * kBatchRows;
        Query insert(target, full ? table.insert_batch.c_str() : table.insert_one.c_str());
        const std::size_t per_statement = full ? batch.size() : width;
        for (std::size_t start = 0; start < batch.size(); start += per_statement) {
            for (std::size_t i = 0; i < per_statement; ++i) {
                const auto& value = batch[start + i];
                const int index = static_cast<int>(i) + 1;
                if (value) {
                    insert->bind(index, *value);
                } else {
                    insert->bind(index);
                }
            }
            insert->exec();
            insert->reset();
        }
        batch.clear();
    };
    std::int64_t rows = 0;
    Query select(source, table.select.c_str());
    while (select->executeStep()) {
        for (std::size_t i = 0; i < width; ++i) {
            const int column = static_cast<int>(i);
            if (select->isNull(column)) {
                batch.emplace_back(std::nullopt);
            } else {
                batch.emplace_back(select->getString(column));
            }
        }
        ++rows;
        if (batch.size() == width * kBatchRows) flush();
    }
    flush();
    return rows;
}

}  // namespace

CopyReport copyState(const StateOptions& from, const StateOptions& to, bool into_non_empty) {
    if (from.backend != StateOptions::Backend::Sqlite || from.path == ":memory:") {
        throw copyError(StateError::Kind::Other, from, to, "the state to copy must be a file");
    }
    if (to.backend != StateOptions::Backend::Postgresql) {
        throw copyError(StateError::Kind::Other, from, to,
                        "the state can only be copied into a PostgreSQL database");
    }
    std::string doing = "opening the file";
    try {
        auto source = openSource(from);
        doing = "connecting to the database";
        auto target = PgConnection::open(to);
        doing = "creating the schema in the database";
        migratePg(*target, kLatestSchemaVersion);

        doing = "reading the file";
        Transaction snapshot(*source, Connection::TxnKind::Snapshot);
        checkSourceSchema(*source);

        doing = "writing the database";
        Transaction txn(*target, Connection::TxnKind::Write);
        // No daemon writes the tables while they are checked and filled (readers still can).
        std::string names;
        for (const auto& t : tableSql()) {
            names += (names.empty() ? "" : ", ") + std::string(t.spec->name);
        }
        target->execute("LOCK TABLE " + names + " IN EXCLUSIVE MODE");
        prepareTarget(*target, into_non_empty);

        CopyReport report;
        for (const auto& t : tableSql()) {
            doing = std::string("copying table ") + t.spec->name;
            const auto rows = copyTable(*source, *target, t);
            report.tables.emplace_back(t.spec->name, rows);
            report.total += rows;
        }
        doing = "moving the identity sequences past the copied ids";
        for (const auto& t : tableSql()) {
            if (t.spec->identity == nullptr) continue;
            const std::string name = t.spec->name;
            const std::string column = t.spec->identity;
            target->execute("SELECT setval(pg_get_serial_sequence('" + name + "', '" + column +
                            "'), (SELECT COALESCE(MAX(" + column + "), 0) + 1 FROM " + name +
                            "), false)");
        }
        doing = "committing the copy";
        txn.commit();
        return report;
    } catch (const SqlError& e) {
        throw copyError(e.kind(), from, to, doing + ": " + e.what());
    } catch (const StateError& e) {
        throw copyError(e.kind(), from, to, e.what());
    }
}

}  // namespace soar::state
