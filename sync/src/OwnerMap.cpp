#include "OwnerMap.h"

#include <Poco/Logger.h>

namespace soar::sync {

OwnerMap::OwnerMap(Poco::Logger& logger) : logger_(logger) {}

void OwnerMap::newPass() {
    std::lock_guard<std::mutex> lock(lookup_mutex_);
    names_.clear();
    ids_.clear();
}

std::optional<std::string> OwnerMap::sourceName(std::int64_t id, Source& source) {
    std::lock_guard<std::mutex> lock(lookup_mutex_);
    if (const auto found = names_.find(id); found != names_.end()) return found->second;
    auto name = source.userName(id);
    names_[id] = name;
    return name;
}

std::optional<std::int64_t> OwnerMap::targetId(const std::string& name, Target& target) {
    std::lock_guard<std::mutex> lock(lookup_mutex_);
    if (const auto found = ids_.find(name); found != ids_.end()) return found->second;
    auto id = target.userId(name);
    ids_[name] = id;
    return id;
}

std::optional<std::int64_t> OwnerMap::targetOwner(const Poco::JSON::Object& source_container,
                                                  Source& source, Target& target,
                                                  const std::string& where, bool& unmatched) {
    unmatched = false;
    const auto owner =
        source_container.has("owner") ? parseId(source_container.get("owner")) : std::nullopt;
    if (!owner || *owner <= 0) return std::nullopt;
    std::optional<std::string> name;
    const auto given = source_container.get("owner_name");
    if (given.isString() && !given.extract<std::string>().empty()) {
        name = given.extract<std::string>();
    } else {
        name = sourceName(*owner, source);
    }
    if (!name) return std::nullopt;  // the source no longer has the user
    return byName(*name, target, where, unmatched);
}

std::optional<std::int64_t> OwnerMap::targetUser(std::int64_t source_user, Source& source,
                                                 Target& target, const std::string& where,
                                                 bool& unmatched) {
    unmatched = false;
    const auto name = sourceName(source_user, source);
    if (!name) return std::nullopt;
    return byName(*name, target, where, unmatched);
}

std::optional<std::int64_t> OwnerMap::byName(const std::string& name, Target& target,
                                             const std::string& where, bool& unmatched) {
    if (auto id = targetId(name, target)) return id;
    unmatched = true;
    bool first = false;
    {
        std::lock_guard<std::mutex> lock(logged_mutex_);
        first = logged_.insert(name).second;
    }
    if (first) {
        poco_warning(logger_, where + "the target has no user '" + name +
                                  "': copies owned by that user on the source are left "
                                  "unassigned (add the user to assign them)");
    }
    return std::nullopt;
}

}  // namespace soar::sync
