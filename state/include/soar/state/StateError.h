#pragma once

/// The one exception type the state store throws. SQLite's own exceptions never leave
/// `soar_state`: they are translated here, with the file path and what was being done,
/// so that a sysadmin can act on the message.

#include <stdexcept>
#include <string>

namespace soar::state {

class StateError : public std::runtime_error {
public:
    enum class Kind {
        /// The file cannot be created, opened or written (permissions, missing disk).
        Unwritable,
        /// The file exists but is not a SQLite database, or is damaged.
        Corrupt,
        /// The file was written by a newer soar-sync whose schema this binary does not know.
        TooNew,
        /// The database is locked by another writer for longer than the busy timeout.
        Busy,
        /// Anything else SQLite reports.
        Other,
    };

    StateError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

    [[nodiscard]] Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

}  // namespace soar::state
