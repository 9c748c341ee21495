#pragma once

/// The id maps and content hashes of a (route, target): which target record is the copy of
/// which source record, and the hash of what was last written (design §5, "nothing duplicated",
/// "nothing resent needlessly"). Mappings are written by `UnitOfWorkStore::commit`; this
/// interface reads, counts and forgets them.
///
/// Rules every implementation keeps: an artifact, note or comment mapping names a mapped
/// container (a commit that breaks this throws `StateError::Kind::Constraint`); forgetting a
/// container's mapping forgets its artifacts', notes' and comments' mappings; an upsert of a
/// container keeps its artifacts.
///
/// Contract (shared by every store interface, see `Store.h`): a write is atomic and durable once
/// the call returns, and a call that throws changed nothing; reads see every write that returned
/// before them; failures throw `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace soar::state {

class MappingStore {
public:
    virtual ~MappingStore() = default;

    /// The mapping of one source container, or nothing when it was never written to the target.
    [[nodiscard]] virtual std::optional<ContainerMapping> containerMapping(
        const RouteTarget& key, std::int64_t source_container_id) const = 0;
    /// The mapping of one source artifact.
    [[nodiscard]] virtual std::optional<ArtifactMapping> artifactMapping(
        const RouteTarget& key, std::int64_t source_artifact_id) const = 0;
    /// The mappings of several source containers (e.g. one page from the source), read in one
    /// snapshot: one read transaction for the whole batch, cheaper per id than single lookups.
    /// Unmapped ids are left out; the result follows the order of `source_container_ids`.
    [[nodiscard]] virtual std::vector<ContainerMapping> findContainerMappings(
        const RouteTarget& key, const std::vector<std::int64_t>& source_container_ids) const = 0;
    /// The mappings of several source artifacts, like `findContainerMappings`.
    [[nodiscard]] virtual std::vector<ArtifactMapping> findArtifactMappings(
        const RouteTarget& key, const std::vector<std::int64_t>& source_artifact_ids) const = 0;
    /// The mapping of one source note or comment (`kind` is Note or Comment).
    [[nodiscard]] virtual std::optional<NoteMapping> noteMapping(const RouteTarget& key,
                                                                 RecordKind kind,
                                                                 std::int64_t source_id) const = 0;
    /// The mapping whose copy on the target has that id (a two-way route reading the target's
    /// changes), or nothing.
    [[nodiscard]] virtual std::optional<ContainerMapping> containerMappingByTarget(
        const RouteTarget& key, std::int64_t target_container_id) const = 0;
    /// The note or comment mapping whose target record has that id, or nothing.
    [[nodiscard]] virtual std::optional<NoteMapping> noteMappingByTarget(
        const RouteTarget& key, RecordKind kind, std::int64_t target_id) const = 0;
    /// What both sides of a two-way mapping held when it was last settled, or nothing.
    [[nodiscard]] virtual std::optional<MirrorState> mirrorState(
        const RouteTarget& key, std::int64_t source_container_id) const = 0;
    /// The mapped notes and comments of one source container, by kind name (comments before
    /// notes) then source id.
    [[nodiscard]] virtual std::vector<NoteMapping> noteMappingsOf(
        const RouteTarget& key, std::int64_t source_container_id) const = 0;
    /// The mapped artifacts of one source container, by source artifact id.
    [[nodiscard]] virtual std::vector<ArtifactMapping> artifactMappingsOf(
        const RouteTarget& key, std::int64_t source_container_id) const = 0;
    /// Up to `limit` container mappings with source id above `after_source_id`, ascending:
    /// page through all of them without holding them all in memory.
    [[nodiscard]] virtual std::vector<ContainerMapping> containerMappings(
        const RouteTarget& key, std::int64_t after_source_id, std::size_t limit) const = 0;
    /// How many mappings the (route, target) holds, read in one snapshot.
    [[nodiscard]] virtual MappingCounts mappingCounts(const RouteTarget& key) const = 0;
    /// Forgets one container mapping and its artifacts', notes' and comments' mappings (the
    /// target lost the container: the next pass re-creates it), and the container's strikes
    /// (`StrikeStore`), mapped or not. Returns whether the mapping existed.
    virtual bool deleteContainerMapping(const RouteTarget& key,
                                        std::int64_t source_container_id) = 0;
    /// Forgets one artifact mapping (the target lost the artifact). Returns whether it existed.
    virtual bool deleteArtifactMapping(const RouteTarget& key, std::int64_t source_artifact_id) = 0;
    /// Forgets every mapping of the (route, target) (`resync --all`), and every strike
    /// (`StrikeStore`); cursors and dead letters stay. Returns how many container mappings went.
    virtual std::int64_t deleteMappings(const RouteTarget& key) = 0;
};

}  // namespace soar::state
