#pragma once

/// OwnerMap: a container's owner on the target, by username (`owner_map = by_name`, design.md
/// §4). User ids differ between instances, so a numeric owner is never copied: the source
/// owner's username (the record's `owner_name`, else asked of the source) is looked up on the
/// target. Both lookups are cached for a pass. A username the target lacks leaves the copy
/// unassigned; it is counted for each copy and logged once per user for the life of the
/// object (a route's target), not once per container.
///
/// Thread safety: all methods may be called from several workers at once. A lookup holds the
/// cache's mutex while it asks, so each user is asked for once per pass (owners are few; the
/// workers wait for one request at most per user).

#include "soar/sync/Source.h"
#include "soar/sync/Target.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace Poco {
class Logger;
}

namespace soar::sync {

class OwnerMap {
public:
    explicit OwnerMap(Poco::Logger& logger);

    /// Forgets the cached lookups: a new pass asks again.
    void newPass();
    /// The target user id for the owner of `source_container`; nullopt when it has none or
    /// the target lacks that user (`unmatched` is then set). `where` prefixes the log line.
    [[nodiscard]] std::optional<std::int64_t> targetOwner(
        const Poco::JSON::Object& source_container, Source& source, Target& target,
        const std::string& where, bool& unmatched);

    /// The same for a source user id (a workbook task's owner).
    [[nodiscard]] std::optional<std::int64_t> targetUser(std::int64_t source_user, Source& source,
                                                         Target& target, const std::string& where,
                                                         bool& unmatched);

private:
    std::optional<std::int64_t> byName(const std::string& name, Target& target,
                                       const std::string& where, bool& unmatched);
    std::optional<std::string> sourceName(std::int64_t id, Source& source);
    std::optional<std::int64_t> targetId(const std::string& name, Target& target);

    Poco::Logger& logger_;
    /// Guards the caches, held across a lookup.
    std::mutex lookup_mutex_;
    std::map<std::int64_t, std::optional<std::string>> names_;
    std::map<std::string, std::optional<std::int64_t>> ids_;
    std::mutex logged_mutex_;
    std::set<std::string> logged_;
};

}  // namespace soar::sync
