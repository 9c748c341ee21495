#pragma once

/// Builders shared by the state tests: a unit of work per "replayed container" whose rows can
/// be checked all-or-nothing afterwards.

#include "soar/state/Records.h"
#include "soar/state/Store.h"

#include <cstdint>
#include <string>

namespace soar::state::test {

inline constexpr int kArtifactsPerUnit = 5;

inline RouteTarget testKey() { return RouteTarget{"hq-to-dr", "dr"}; }

/// A timestamp that sorts with `n`, in SOAR's format.
inline std::string timestampOf(std::int64_t n) {
    const std::string digits = std::to_string(1'000'000 + n % 1'000'000);
    return "2024-05-01T10:00:00." + digits.substr(1) + "Z";
}

/// Unit `n`: container `n` (target id `n + 100000`) with `kArtifactsPerUnit` artifacts, and the
/// created-stream cursor moved to (timestampOf(n), n).
inline UnitOfWork unitOf(std::int64_t n, const RouteTarget& key = testKey()) {
    UnitOfWork unit;
    unit.key = key;
    ContainerMapping c;
    c.source_id = n;
    c.target_id = n + 100'000;
    c.content_hash = "hash-c-" + std::to_string(n);
    c.create_time = timestampOf(n);
    c.artifact_update_time = timestampOf(n);
    unit.containers.push_back(c);
    for (int i = 1; i <= kArtifactsPerUnit; ++i) {
        ArtifactMapping a;
        a.source_id = n * 10 + i;
        a.target_id = n * 10 + i + 1'000'000;
        a.source_container_id = n;
        a.content_hash = "hash-a-" + std::to_string(a.source_id);
        a.update_time = timestampOf(n);
        unit.artifacts.push_back(a);
    }
    unit.cursors.push_back(Cursor{Stream::ContainersCreated, timestampOf(n), n});
    return unit;
}

/// How much of unit `n` the store holds: 0 (none), or 1 + kArtifactsPerUnit (all).
inline int rowsOfUnit(const Store& store, std::int64_t n, const RouteTarget& key = testKey()) {
    int rows = store.containerMapping(key, n) ? 1 : 0;
    for (int i = 1; i <= kArtifactsPerUnit; ++i) {
        if (store.artifactMapping(key, n * 10 + i)) ++rows;
    }
    return rows;
}

}  // namespace soar::state::test
