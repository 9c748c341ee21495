#pragma once

/// Source records a target refused (design §5, "errors are sorted"): kept with the target's
/// message and an attempt count until the record goes through; `retry-dead` re-drives them.
/// Dead letters may also be recorded or resolved with the container they belong to, in
/// `UnitOfWork::dead_letters` and `UnitOfWork::resolved_dead_letters`.
///
/// Contract (shared by every store interface, see `Store.h`): a write is atomic and durable once
/// the call returns, and a call that throws changed nothing; reads see every write that returned
/// before them; failures throw `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

#include <cstdint>
#include <string>
#include <vector>

namespace soar::state {

class DeadLetterStore {
public:
    virtual ~DeadLetterStore() = default;

    /// Records that the target refused a record: inserts it with one attempt (`first_seen` and
    /// `last_seen` = `at`), or counts one more attempt, keeps the newest message and moves
    /// `last_seen` to `at`. Returns the number of attempts so far.
    virtual std::int64_t recordDeadLetter(const RouteTarget& key, const DeadLetterRef& ref,
                                          const std::string& message, const std::string& at) = 0;
    /// The dead letters of the (route, target), oldest first: by `first_seen`, then kind name,
    /// then source id.
    [[nodiscard]] virtual std::vector<DeadLetter> deadLetters(const RouteTarget& key) const = 0;
    /// How many dead letters the (route, target) holds.
    [[nodiscard]] virtual std::int64_t deadLetterCount(const RouteTarget& key) const = 0;
    /// Removes a dead letter once the record went through. Returns whether it existed.
    virtual bool clearDeadLetter(const RouteTarget& key, const DeadLetterRef& ref) = 0;
};

}  // namespace soar::state
