#pragma once

/// FieldMirror: the container fields a two-way route mirrors (status, severity, sensitivity,
/// owner, tags), settled between a source container and its copy by a three-way comparison
/// with what each side held when they were last settled (state::MirrorState):
///
/// - a side whose field still reads as stored has not changed since, whoever wrote it (so
///   soar-sync's own writes are never mirrored back: no loops, no echoes);
/// - a field changed on one side is written to the other, in that side's terms: a status the
///   other side lacks becomes one of the same `status_type` (a resolved one: `closed`; the
///   other side's current status when it is of that type already), an owner the user with the
///   same username, tags those of the source plus the route's `add_tags`;
/// - a field changed on both sides to different values is a conflict, settled by the route's
///   `conflict` rule (`newest`: the later `container_update_time`, ties to the source); the
///   losing value is logged with both times and counted;
/// - without a stored state (a mapping made before the route was two-way) the source wins,
///   as it always did.
///
/// One per pass: it caches both sides' statuses and users. Thread safety: safe for the
/// pass's workers (caches under a mutex, never held across a request).

#include "soar/state/Records.h"
#include "soar/sync/MirrorSide.h"
#include "soar/sync/RouteConfig.h"
#include "soar/sync/Source.h"

#include <Poco/JSON/Object.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace soar::sync {

class FieldMirror {
public:
    /// A side's mirrored fields in its own terms: field name -> canonical text (`tags` a
    /// sorted JSON array, `owner` the user id or empty).
    using Fields = std::map<std::string, std::string>;

    /// What settling one container did.
    struct Settled {
        /// Both sides as they now stand, to store.
        state::MirrorState state;
        /// Fields written to each side.
        int to_source = 0;
        int to_target = 0;
        int conflicts_source_won = 0;
        int conflicts_target_won = 0;
    };

    /// Whether the target's side of a conflict wins under `rule`: `newest` compares the two
    /// change times (ties, and a side without one, go to the source).
    [[nodiscard]] static bool targetWins(ConflictRule rule,
                                         const std::optional<std::string>& source_time,
                                         const std::optional<std::string>& target_time);

    FieldMirror(const RouteConfig& route, std::string target_name, MirrorSide& source,
                MirrorSide& target, Poco::Logger& logger);

    /// The mirrored keys a container body carries (`status`, ..., `owner_id`, `tags`): the
    /// one-way path leaves them to settle().
    [[nodiscard]] std::vector<std::string> bodyKeys() const;
    /// The mirrored fields of a container record (`owner` or `owner_id`), or of a body about
    /// to be written.
    [[nodiscard]] Fields read(const Poco::JSON::Object& body) const;
    [[nodiscard]] static std::string encode(const Fields& fields);
    [[nodiscard]] static Fields decode(const std::string& text);

    /// A new copy's status in the target's terms (a body the one-way path is about to create).
    void mapForCreate(Poco::JSON::Object& body);

    /// Settles a source container and its copy, writing what each side lacks (RecordError when
    /// a side refuses). `base` is the stored state, if any.
    Settled settle(const SourceContainer& source, const SourceContainer& copy,
                   const std::optional<state::MirrorState>& base);

private:
    enum class Side { Source, Target };
    /// `value` of `field` from side `from` in the other side's terms, given what that side
    /// holds now (`current`); nullopt when it has no equivalent (an owner it lacks).
    std::optional<std::string> convert(const std::string& field, const std::string& value,
                                       Side from, const std::string& current);
    std::optional<std::string> convertStatus(const std::string& status, Side from,
                                             const std::string& current);
    std::optional<std::string> convertOwner(const std::string& owner, Side from);
    /// Sets `field` = `value` on a write body.
    void put(Poco::JSON::Object& body, const std::string& field, const std::string& value) const;
    const std::vector<StatusInfo>& statusesOf(Side side);

    const RouteConfig& route_;
    std::string target_name_;
    MirrorSide& source_;
    MirrorSide& target_;
    Poco::Logger& logger_;
    std::vector<std::string> fields_;
    std::mutex mutex_;
    std::optional<std::vector<StatusInfo>> statuses_[2];
};

}  // namespace soar::sync
