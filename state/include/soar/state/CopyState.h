#pragma once

/// Copying a whole state from one store into another (`soar-sync migrate-state --to URL`,
/// design §3 and §9): every row of every table of a SQLite state file into a PostgreSQL state
/// database, so that the daemons sharing that database carry on where the file left off.
///
/// The copy reads the file in one read snapshot and writes the database in one transaction: it
/// is all or nothing, and a daemon still writing the file cannot tear it. Rows are streamed
/// table by table (parents before the rows that reference them) in batches; no table is held in
/// memory. The database's identity sequences are moved past the copied ids, so new passes,
/// playbook runs and routes continue the file's numbering.
///
/// Thread safety: a free function; it opens and closes its own connections.
/// Ownership: the report is a plain value. Nothing is printed; the caller reports.

#include "soar/state/SqliteStore.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace soar::state {

/// What `copyState` copied.
struct CopyReport {
    /// Table name -> rows copied, in copy order (every table of the schema, empty ones too).
    std::vector<std::pair<std::string, std::int64_t>> tables;
    /// The rows of every table together.
    std::int64_t total = 0;
};

/// Copies every row of the state at `from` (a SQLite file, read in one snapshot at the current
/// schema version: an older file is migrated first, opening it writable) into the PostgreSQL
/// database at `to` (created or migrated to the current schema first).
///
/// A database that already holds a route/target row, a lease or a daemon's heartbeat is refused
/// (`StateError`, kind `Unwritable`, saying what it holds) unless `into_non_empty`: then its rows
/// are replaced, every table emptied first in the same transaction. One transaction on `to`:
/// all or nothing. Identity sequences are set past the copied ids.
///
/// Throws `StateError` whose message names both places (`describe()`, never a password), with
/// the kind of the underlying failure (`Missing` for a file that does not exist, `Busy` when a
/// daemon holds the database's tables longer than the busy timeout, ...).
[[nodiscard]] CopyReport copyState(const StateOptions& from, const StateOptions& to,
                                   bool into_non_empty);

}  // namespace soar::state
