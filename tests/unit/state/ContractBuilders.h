#pragma once

/// Records the store contract tests write: small, valid, and distinct by their ids.

#include "StateTestUtil.h"
#include "soar/state/Records.h"

#include <cstdint>
#include <string>
#include <vector>

namespace soar::state::test {

inline const RouteTarget kOther{"hq-to-dr", "lab"};

inline ContainerMapping container(std::int64_t source_id, const std::string& hash = "h") {
    ContainerMapping c;
    c.source_id = source_id;
    c.target_id = source_id + 500;
    c.content_hash = hash;
    c.create_time = "2024-05-01T10:00:00.000000Z";
    return c;
}

inline ArtifactMapping artifact(std::int64_t source_id, std::int64_t container_id) {
    ArtifactMapping a;
    a.source_id = source_id;
    a.target_id = source_id + 900;
    a.source_container_id = container_id;
    a.content_hash = "a" + std::to_string(source_id);
    a.update_time = "2024-05-01T10:00:01Z";
    return a;
}

inline NoteMapping note(RecordKind kind, std::int64_t source_id, std::int64_t container_id) {
    return NoteMapping{
        kind,        source_id, source_id + 700, container_id, "n" + std::to_string(source_id),
        std::nullopt};
}

inline PlaybookRun intent(const std::string& trigger_key, std::int64_t container_id = 1,
                          const RouteTarget& key = testKey()) {
    PlaybookRun run;
    run.key = key;
    run.trigger_key = trigger_key;
    run.source_container_id = container_id;
    run.target_container_id = container_id + 500;
    run.playbook = "local/triage_synced";
    run.trigger = TriggerKind::Create;
    run.message = "queued";
    run.created_at = "2024-05-01T10:00:00Z";
    return run;
}

inline UnitOfWork unitWith(const RouteTarget& key = testKey()) {
    UnitOfWork unit;
    unit.key = key;
    return unit;
}

inline std::vector<std::int64_t> sourceIds(const std::vector<ArtifactMapping>& mappings) {
    std::vector<std::int64_t> out;
    for (const auto& m : mappings) out.push_back(m.source_id);
    return out;
}

}  // namespace soar::state::test
