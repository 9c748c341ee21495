#pragma once

/// Workbook: a case's workbook as the engine sees it on either side (design.md §5, "Complete
/// copies"; soar-api-more.md §3): its phases in order, each with its tasks. Ids are the
/// instance's own; phases and tasks are matched between instances by name, never by id.
/// Plain value types, copy freely.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soar::sync {

struct WorkbookTask {
    std::int64_t id = 0;
    std::string name;
    std::int64_t order = 0;
    std::string description;
    /// SOAR's status code (0 = not started under both readings; which of 1 and 2 means
    /// complete differs between sources, soar-api-more.md §3.3).
    std::int64_t status = 0;
    /// The owner's user id on its instance.
    std::optional<std::int64_t> owner;
    /// Completing it needs a closing note.
    bool note_required = false;
    std::optional<std::string> modified_time;
};

struct WorkbookPhase {
    std::int64_t id = 0;
    std::string name;
    std::int64_t order = 0;
    /// The workbook template it was made from, when it was.
    std::optional<std::int64_t> template_id;
    std::vector<WorkbookTask> tasks;
};

using Workbook = std::vector<WorkbookPhase>;

/// Puts phases, and each phase's tasks, in their order (ties by id), as SOAR shows them.
inline void sortByOrder(Workbook& workbook) {
    const auto by_order = [](const auto& a, const auto& b) {
        return a.order != b.order ? a.order < b.order : a.id < b.id;
    };
    std::sort(workbook.begin(), workbook.end(), by_order);
    for (auto& phase : workbook) std::sort(phase.tasks.begin(), phase.tasks.end(), by_order);
}

}  // namespace soar::sync
