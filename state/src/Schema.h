#pragma once

/// The state file's schema and its forward-only migrations. Private to `soar_state`.
///
/// The schema version lives in `PRAGMA user_version` (in the file header, changed in the same
/// transaction as the migration's DDL). Migration N takes a file from version N-1 to N inside
/// one `BEGIN IMMEDIATE` transaction that re-reads the version first, so two processes opening
/// an old file at once migrate it exactly once, and a crash mid-migration leaves version N-1.
/// Migrations are never edited once released; a change is a new migration.

namespace soar::state {

class SqliteConnection;

/// The newest schema this binary knows.
inline constexpr int kLatestSchemaVersion = 7;

/// Migrates the file to `target_version` (at most `kLatestSchemaVersion`), one transaction per
/// version. A file already at or past the target is left alone. Throws SQLite::Exception.
void migrate(SqliteConnection& conn, int target_version);

}  // namespace soar::state
