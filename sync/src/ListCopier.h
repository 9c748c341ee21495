#pragma once

/// ListCopier: the route's custom lists onto a target (design.md §5, "Lists";
/// soar-api-more.md §2). Lists carry no timestamps, so each pass reads every listed list from
/// the source and hashes its content (SHA-256 of its compact JSON rows); a target gets a list
/// only when that hash differs from the one stored for it (ListStore), in one request that
/// replaces the whole content (row-index edits would race with people editing the list), or
/// creates the list. An unchanged list costs no request on the target.
///
/// A list the source lacks is an error naming it, never an empty list written to the target;
/// one larger than `list_max_size`, one with no rows (the rules in CustomLists.h) or one the
/// target refuses is refused with a message, never truncated. Either is counted (`lists_failed`)
/// and kept as the target's last error, and the other lists still go; it is logged as an error once
/// while it persists (then at debug), and a list written again after one is logged as such.
/// Transient errors propagate: the pass stops there, and the next one reads the lists again.
///
/// Thread safety: runs on the pass's thread. Ownership: borrows the scope.

#include "PassScope.h"

#include <Poco/JSON/Array.h>

#include <map>
#include <string>

namespace soar::sync {

class ListCopier {
public:
    /// `problems`: why each list was last not written, kept across passes by the caller.
    ListCopier(PassScope& pass, std::map<std::string, std::string>& problems);

    /// Brings every list of the route up to date on the target.
    void run();
    [[nodiscard]] const state::PassCounts& counts() const { return counts_; }

private:
    void copy(const std::string& name, const std::map<std::string, state::ListCopy>& stored);
    void fail(const std::string& name, const std::string& message);

    PassScope& pass_;
    std::map<std::string, std::string>& problems_;
    state::PassCounts counts_;
};

}  // namespace soar::sync
