#pragma once

/// The row-level reads and writes that more than one concern of `SqliteStore` needs: `commit`
/// writes mappings, cursors, dead letters and intents in one transaction, `status` reads a
/// little of everything in one snapshot, and forgetting mappings forgets their strikes. Each
/// function runs on the connection it is given, in the caller's transaction; each lives in the
/// file of its concern, next to its statements and its row decoder. Private to `soar_state`.
///
/// Thread safety: none; the caller holds the connection.

#include "Sql.h"
#include "soar/state/Records.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace soar::state::sqlite {

// Cursors (SqliteStore.cpp).
[[nodiscard]] std::vector<Cursor> readCursors(Connection& conn, std::int64_t ref);
void upsertCursor(Connection& conn, std::int64_t ref, const Cursor& cursor);

// Mappings (SqliteMappings.cpp).
void upsertContainer(Connection& conn, std::int64_t ref, const ContainerMapping& mapping);
void upsertArtifact(Connection& conn, std::int64_t ref, const ArtifactMapping& mapping);
void upsertNote(Connection& conn, std::int64_t ref, const NoteMapping& mapping);
void upsertMirror(Connection& conn, std::int64_t ref, const MirrorState& mirror);
[[nodiscard]] MappingCounts readMappingCounts(Connection& conn, std::int64_t ref);

// Playbook runs (SqlitePlaybookRuns.cpp).
[[nodiscard]] RecordedIntent insertIntent(Connection& conn, std::int64_t ref,
                                          const PlaybookRun& run);
[[nodiscard]] std::map<RunStatus, std::int64_t> readRunCounts(Connection& conn, std::int64_t ref);

// Dead letters (SqliteDeadLetters.cpp).
std::int64_t upsertDeadLetter(Connection& conn, std::int64_t ref, const DeadLetterRef& letter,
                              const std::string& message, const std::string& at);
bool deleteDeadLetter(Connection& conn, std::int64_t ref, const DeadLetterRef& letter);
[[nodiscard]] std::int64_t countDeadLetters(Connection& conn, std::int64_t ref);

// Strikes (SqliteStrikes.cpp).
bool deleteStrike(Connection& conn, std::int64_t ref, std::int64_t source_id);
void deleteStrikes(Connection& conn, std::int64_t ref);

/// Forgets a container's mapping (cascading to its artifacts', notes' and two-way fields') and
/// its strikes; whether it was mapped.
bool forgetContainer(Connection& conn, std::int64_t ref, std::int64_t source_container_id);

// Reconcile and tombstones (SqliteReconcile.cpp).
[[nodiscard]] std::optional<ReconcileState> readReconcile(Connection& conn, std::int64_t ref);
[[nodiscard]] std::map<DeletionAction, std::int64_t> readTombstoneCounts(Connection& conn,
                                                                         std::int64_t ref);

// Lists (SqliteLists.cpp).
[[nodiscard]] std::vector<ListCopy> readListCopies(Connection& conn, std::int64_t ref);

// Passes and health (SqlitePassLog.cpp).
[[nodiscard]] std::vector<PassRecord> readPasses(Connection& conn, std::int64_t ref,
                                                 std::size_t limit);
[[nodiscard]] TargetHealth readHealth(Connection& conn, std::int64_t ref);

}  // namespace soar::state::sqlite
