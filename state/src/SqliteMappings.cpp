// SqlStore: id maps and content hashes (MappingStore), and the mapping upserts `commit` runs.

#include "SqliteAccess.h"
#include "SqliteRows.h"

#include <utility>

namespace soar::state {
namespace sqlite {
namespace {

// One column list per row type, so one decoder reads every SELECT of that type. Statements
// are built once and never change: the per-connection cache keys on the text's address.

const std::string kContainerColumns =
    "SELECT source_id, target_id, content_hash, create_time, container_update_time, "
    "artifact_update_time, generation FROM container_map ";
const std::string kSelectContainer = kContainerColumns + "WHERE target_ref = ?1 AND source_id = ?2";
const std::string kSelectContainersAfter =
    kContainerColumns + "WHERE target_ref = ?1 AND source_id > ?2 ORDER BY source_id LIMIT ?3";

const std::string kArtifactColumns =
    "SELECT source_id, target_id, source_container_id, content_hash, update_time "
    "FROM artifact_map ";
const std::string kSelectArtifact = kArtifactColumns + "WHERE target_ref = ?1 AND source_id = ?2";
const std::string kSelectArtifactsOf =
    kArtifactColumns + "WHERE target_ref = ?1 AND source_container_id = ?2 ORDER BY source_id";

const std::string kNoteColumns =
    "SELECT kind, source_id, target_id, source_container_id, content_hash, update_time "
    "FROM note_map ";
const std::string kSelectNote =
    kNoteColumns + "WHERE target_ref = ?1 AND kind = ?2 AND source_id = ?3";
const std::string kSelectNoteByTarget =
    kNoteColumns + "WHERE target_ref = ?1 AND kind = ?2 AND target_id = ?3 ORDER BY source_id";
const std::string kSelectContainerByTarget =
    kContainerColumns + "WHERE target_ref = ?1 AND target_id = ?2 ORDER BY source_id";
constexpr const char* kSelectMirror =
    "SELECT source_id, source_fields, target_fields FROM mirror_state "
    "WHERE target_ref = ?1 AND source_id = ?2";
constexpr const char* kUpsertMirror =
    "INSERT INTO mirror_state (target_ref, source_id, source_fields, target_fields) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (target_ref, source_id) DO UPDATE SET "
    "source_fields = excluded.source_fields, target_fields = excluded.target_fields";
constexpr const char* kDeleteMirrors = "DELETE FROM mirror_state WHERE target_ref = ?1";
const std::string kSelectNotesOf = kNoteColumns +
                                   "WHERE target_ref = ?1 AND source_container_id = ?2 "
                                   "ORDER BY kind, source_id";

// Upserts, never INSERT OR REPLACE: a replace deletes the row first, and the delete would
// cascade to the container's artifact and note mappings.
constexpr const char* kUpsertContainer =
    "INSERT INTO container_map (target_ref, source_id, target_id, content_hash, create_time, "
    "container_update_time, artifact_update_time, generation) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8) ON CONFLICT (target_ref, source_id) DO UPDATE SET target_id = excluded.target_id, "
    "content_hash = excluded.content_hash, create_time = excluded.create_time, "
    "container_update_time = excluded.container_update_time, "
    "artifact_update_time = excluded.artifact_update_time, generation = excluded.generation";
constexpr const char* kUpsertArtifact =
    "INSERT INTO artifact_map (target_ref, source_id, target_id, source_container_id, "
    "content_hash, update_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (target_ref, source_id) DO UPDATE SET target_id = excluded.target_id, "
    "source_container_id = excluded.source_container_id, content_hash = excluded.content_hash, "
    "update_time = excluded.update_time";
constexpr const char* kUpsertNote =
    "INSERT INTO note_map (target_ref, kind, source_id, target_id, source_container_id, "
    "content_hash, update_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (target_ref, kind, source_id) DO UPDATE SET target_id = excluded.target_id, "
    "source_container_id = excluded.source_container_id, content_hash = excluded.content_hash, "
    "update_time = excluded.update_time";

constexpr const char* kDeleteContainer =
    "DELETE FROM container_map WHERE target_ref = ?1 AND source_id = ?2";
constexpr const char* kDeleteContainers = "DELETE FROM container_map WHERE target_ref = ?1";
constexpr const char* kDeleteArtifact =
    "DELETE FROM artifact_map WHERE target_ref = ?1 AND source_id = ?2";
constexpr const char* kDeleteArtifacts = "DELETE FROM artifact_map WHERE target_ref = ?1";
constexpr const char* kDeleteNotes = "DELETE FROM note_map WHERE target_ref = ?1";

constexpr const char* kCountContainers = "SELECT count(*) FROM container_map WHERE target_ref = ?1";
constexpr const char* kCountArtifacts = "SELECT count(*) FROM artifact_map WHERE target_ref = ?1";
constexpr const char* kCountNotes =
    "SELECT count(*) FROM note_map WHERE target_ref = ?1 AND kind IN ('note', 'comment')";
constexpr const char* kCountTasks =
    "SELECT count(*) FROM note_map WHERE target_ref = ?1 AND kind = 'task'";
constexpr const char* kCountFiles =
    "SELECT count(*) FROM note_map WHERE target_ref = ?1 AND kind = 'attachment'";

/// The one decoder of a `kContainerColumns` row.
ContainerMapping containerFrom(Statement& row) {
    ContainerMapping m;
    m.source_id = row.getColumn(0).getInt64();
    m.target_id = row.getColumn(1).getInt64();
    m.content_hash = row.getColumn(2).getString();
    m.create_time = optionalText(row.getColumn(3));
    m.container_update_time = optionalText(row.getColumn(4));
    m.artifact_update_time = optionalText(row.getColumn(5));
    m.generation = row.getColumn(6).getInt64();
    return m;
}

/// The one decoder of a `kArtifactColumns` row.
ArtifactMapping artifactFrom(Statement& row) {
    ArtifactMapping m;
    m.source_id = row.getColumn(0).getInt64();
    m.target_id = row.getColumn(1).getInt64();
    m.source_container_id = row.getColumn(2).getInt64();
    m.content_hash = row.getColumn(3).getString();
    m.update_time = optionalText(row.getColumn(4));
    return m;
}

std::optional<RecordKind> parseNoteKind(std::string_view name) {
    for (auto k :
         {RecordKind::Note, RecordKind::Comment, RecordKind::Attachment, RecordKind::Task}) {
        if (toString(k) == name) return k;
    }
    return std::nullopt;
}

/// The one decoder of a `kNoteColumns` row.
NoteMapping noteFrom(const Connection& conn, Statement& row) {
    const std::string kind = row.getColumn(0).getString();
    const auto parsed = parseNoteKind(kind);
    if (!parsed) unknownValue(conn, "note kind", kind);
    NoteMapping m;
    m.kind = *parsed;
    m.source_id = row.getColumn(1).getInt64();
    m.target_id = row.getColumn(2).getInt64();
    m.source_container_id = row.getColumn(3).getInt64();
    m.content_hash = row.getColumn(4).getString();
    m.update_time = optionalText(row.getColumn(5));
    return m;
}

std::optional<ContainerMapping> readContainer(Connection& conn, std::int64_t ref,
                                              std::int64_t source_id) {
    Query q(conn, kSelectContainer.c_str());
    q->bind(1, ref);
    q->bind(2, source_id);
    if (!q->executeStep()) return std::nullopt;
    return containerFrom(*q);
}

std::optional<ArtifactMapping> readArtifact(Connection& conn, std::int64_t ref,
                                            std::int64_t source_id) {
    Query q(conn, kSelectArtifact.c_str());
    q->bind(1, ref);
    q->bind(2, source_id);
    if (!q->executeStep()) return std::nullopt;
    return artifactFrom(*q);
}

/// Runs a statement bound to (ref, id) and decodes every row with `decode`.
template <class T, class Decode>
std::vector<T> readAll(Connection& conn, const std::string& sql, std::int64_t ref, std::int64_t id,
                       Decode decode) {
    std::vector<T> out;
    Query q(conn, sql.c_str());
    q->bind(1, ref);
    q->bind(2, id);
    while (q->executeStep()) out.push_back(decode(*q));
    return out;
}

/// Looks up each id with `lookup`, inside one read transaction.
template <class T, class Lookup>
std::vector<T> readBatch(Connection& conn, std::int64_t ref, const std::vector<std::int64_t>& ids,
                         Lookup lookup) {
    std::vector<T> out;
    out.reserve(ids.size());
    Transaction snapshot(conn, Connection::TxnKind::Snapshot);
    for (const auto id : ids) {
        if (auto found = lookup(conn, ref, id)) out.push_back(std::move(*found));
    }
    snapshot.commit();
    return out;
}

}  // namespace

void upsertContainer(Connection& conn, std::int64_t ref, const ContainerMapping& mapping) {
    Query q(conn, kUpsertContainer);
    q->bind(1, ref);
    q->bind(2, mapping.source_id);
    q->bind(3, mapping.target_id);
    q->bind(4, mapping.content_hash);
    bindOptional(*q, 5, mapping.create_time);
    bindOptional(*q, 6, mapping.container_update_time);
    bindOptional(*q, 7, mapping.artifact_update_time);
    q->bind(8, mapping.generation);
    q->exec();
}

void upsertArtifact(Connection& conn, std::int64_t ref, const ArtifactMapping& mapping) {
    Query q(conn, kUpsertArtifact);
    q->bind(1, ref);
    q->bind(2, mapping.source_id);
    q->bind(3, mapping.target_id);
    q->bind(4, mapping.source_container_id);
    q->bind(5, mapping.content_hash);
    bindOptional(*q, 6, mapping.update_time);
    q->exec();
}

void upsertNote(Connection& conn, std::int64_t ref, const NoteMapping& mapping) {
    Query q(conn, kUpsertNote);
    q->bind(1, ref);
    bindText(*q, 2, toString(mapping.kind));
    q->bind(3, mapping.source_id);
    q->bind(4, mapping.target_id);
    q->bind(5, mapping.source_container_id);
    q->bind(6, mapping.content_hash);
    bindOptional(*q, 7, mapping.update_time);
    q->exec();
}

void upsertMirror(Connection& conn, std::int64_t ref, const MirrorState& mirror) {
    Query q(conn, kUpsertMirror);
    q->bind(1, ref);
    q->bind(2, mirror.source_id);
    q->bind(3, mirror.source_fields);
    q->bind(4, mirror.target_fields);
    q->exec();
}

MappingCounts readMappingCounts(Connection& conn, std::int64_t ref) {
    MappingCounts counts;
    counts.containers = count(conn, kCountContainers, ref);
    counts.artifacts = count(conn, kCountArtifacts, ref);
    counts.notes = count(conn, kCountNotes, ref);
    counts.files = count(conn, kCountFiles, ref);
    counts.tasks = count(conn, kCountTasks, ref);
    return counts;
}

}  // namespace sqlite

using namespace sqlite;

std::optional<ContainerMapping> SqlStore::containerMapping(const RouteTarget& key,
                                                           std::int64_t source_container_id) const {
    return read("looking up a container mapping",
                [&](Connection& conn) -> std::optional<ContainerMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return std::nullopt;
                    return readContainer(conn, *ref, source_container_id);
                });
}

std::optional<ArtifactMapping> SqlStore::artifactMapping(const RouteTarget& key,
                                                         std::int64_t source_artifact_id) const {
    return read("looking up an artifact mapping",
                [&](Connection& conn) -> std::optional<ArtifactMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return std::nullopt;
                    return readArtifact(conn, *ref, source_artifact_id);
                });
}

std::vector<ContainerMapping> SqlStore::findContainerMappings(
    const RouteTarget& key, const std::vector<std::int64_t>& source_container_ids) const {
    return read(
        "looking up container mappings", [&](Connection& conn) -> std::vector<ContainerMapping> {
            const auto ref = findTargetRef(conn, key);
            if (!ref) return {};
            return readBatch<ContainerMapping>(conn, *ref, source_container_ids, readContainer);
        });
}

std::vector<ArtifactMapping> SqlStore::findArtifactMappings(
    const RouteTarget& key, const std::vector<std::int64_t>& source_artifact_ids) const {
    return read(
        "looking up artifact mappings", [&](Connection& conn) -> std::vector<ArtifactMapping> {
            const auto ref = findTargetRef(conn, key);
            if (!ref) return {};
            return readBatch<ArtifactMapping>(conn, *ref, source_artifact_ids, readArtifact);
        });
}

std::optional<NoteMapping> SqlStore::noteMapping(const RouteTarget& key, RecordKind kind,
                                                 std::int64_t source_id) const {
    return read("looking up a note mapping", [&](Connection& conn) -> std::optional<NoteMapping> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return std::nullopt;
        Query q(conn, kSelectNote.c_str());
        q->bind(1, *ref);
        bindText(*q, 2, toString(kind));
        q->bind(3, source_id);
        if (!q->executeStep()) return std::nullopt;
        return noteFrom(conn, *q);
    });
}

std::optional<NoteMapping> SqlStore::noteMappingByTarget(const RouteTarget& key, RecordKind kind,
                                                         std::int64_t target_id) const {
    return read("looking up a note mapping by target id",
                [&](Connection& conn) -> std::optional<NoteMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return std::nullopt;
                    Query q(conn, kSelectNoteByTarget.c_str());
                    q->bind(1, *ref);
                    bindText(*q, 2, toString(kind));
                    q->bind(3, target_id);
                    if (!q->executeStep()) return std::nullopt;
                    return noteFrom(conn, *q);
                });
}

std::optional<ContainerMapping> SqlStore::containerMappingByTarget(
    const RouteTarget& key, std::int64_t target_container_id) const {
    return read("looking up a container mapping by target id",
                [&](Connection& conn) -> std::optional<ContainerMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return std::nullopt;
                    Query q(conn, kSelectContainerByTarget.c_str());
                    q->bind(1, *ref);
                    q->bind(2, target_container_id);
                    if (!q->executeStep()) return std::nullopt;
                    return containerFrom(*q);
                });
}

std::optional<MirrorState> SqlStore::mirrorState(const RouteTarget& key,
                                                 std::int64_t source_container_id) const {
    return read("looking up a two-way mapping's fields",
                [&](Connection& conn) -> std::optional<MirrorState> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return std::nullopt;
                    Query q(conn, kSelectMirror);
                    q->bind(1, *ref);
                    q->bind(2, source_container_id);
                    if (!q->executeStep()) return std::nullopt;
                    MirrorState m;
                    m.source_id = q->getColumn(0).getInt64();
                    m.source_fields = q->getColumn(1).getString();
                    m.target_fields = q->getColumn(2).getString();
                    return m;
                });
}

std::vector<NoteMapping> SqlStore::noteMappingsOf(const RouteTarget& key,
                                                  std::int64_t source_container_id) const {
    return read(
        "listing a container's note mappings", [&](Connection& conn) -> std::vector<NoteMapping> {
            const auto ref = findTargetRef(conn, key);
            if (!ref) return {};
            return readAll<NoteMapping>(conn, kSelectNotesOf, *ref, source_container_id,
                                        [&](Statement& row) { return noteFrom(conn, row); });
        });
}

std::vector<ArtifactMapping> SqlStore::artifactMappingsOf(const RouteTarget& key,
                                                          std::int64_t source_container_id) const {
    return read("listing a container's artifact mappings",
                [&](Connection& conn) -> std::vector<ArtifactMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return {};
                    return readAll<ArtifactMapping>(conn, kSelectArtifactsOf, *ref,
                                                    source_container_id, artifactFrom);
                });
}

std::vector<ContainerMapping> SqlStore::containerMappings(const RouteTarget& key,
                                                          std::int64_t after_source_id,
                                                          std::size_t limit) const {
    return read("listing container mappings",
                [&](Connection& conn) -> std::vector<ContainerMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return {};
                    std::vector<ContainerMapping> out;
                    Query q(conn, kSelectContainersAfter.c_str());
                    q->bind(1, *ref);
                    q->bind(2, after_source_id);
                    q->bind(3, limitOf(limit));
                    while (q->executeStep()) out.push_back(containerFrom(*q));
                    return out;
                });
}

MappingCounts SqlStore::mappingCounts(const RouteTarget& key) const {
    return read("counting mappings", [&](Connection& conn) -> MappingCounts {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        Transaction snapshot(conn, Connection::TxnKind::Snapshot);  // every count from one snapshot
        const auto counts = readMappingCounts(conn, *ref);
        snapshot.commit();
        return counts;
    });
}

bool sqlite::forgetContainer(Connection& conn, std::int64_t ref, std::int64_t source_container_id) {
    // Its strikes go with it, whether or not it was mapped (a create may have been struck).
    (void)deleteStrike(conn, ref, source_container_id);
    Query q(conn, kDeleteContainer);
    q->bind(1, ref);
    q->bind(2, source_container_id);
    return q->exec() > 0;
}

bool SqlStore::deleteContainerMapping(const RouteTarget& key, std::int64_t source_container_id) {
    return write("deleting a container mapping", key, [&](Connection& conn, std::int64_t ref) {
        return forgetContainer(conn, ref, source_container_id);
    });
}

bool SqlStore::deleteArtifactMapping(const RouteTarget& key, std::int64_t source_artifact_id) {
    return write("deleting an artifact mapping", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kDeleteArtifact);
        q->bind(1, ref);
        q->bind(2, source_artifact_id);
        return q->exec() > 0;
    });
}

std::int64_t SqlStore::deleteMappings(const RouteTarget& key) {
    return write("deleting mappings", key, [&](Connection& conn, std::int64_t ref) {
        {
            // Artifacts and notes first, in one statement each, rather than one cascade per
            // container.
            Query artifacts(conn, kDeleteArtifacts);
            artifacts->bind(1, ref);
            artifacts->exec();
            Query mirrors(conn, kDeleteMirrors);
            mirrors->bind(1, ref);
            mirrors->exec();
            Query notes(conn, kDeleteNotes);
            notes->bind(1, ref);
            notes->exec();
        }
        deleteStrikes(conn, ref);
        Query containers(conn, kDeleteContainers);
        containers->bind(1, ref);
        return static_cast<std::int64_t>(containers->exec());
    });
}

}  // namespace soar::state
