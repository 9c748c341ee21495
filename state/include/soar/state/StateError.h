#pragma once

/// The one exception type the state store throws.
///
/// The database libraries' own errors never leave `soar_state`: they are translated at the seam,
/// with the file path or redacted database URL and what the store was doing, so a sysadmin can act
/// on the message. `kind()` lets callers sort the failure the way design §5 asks: `Busy` and
/// `Unavailable` are transient (retry the pass later), `Corrupt`, `TooNew` and `Unwritable` stop
/// the daemon with a message.
///
/// Thread safety: a value type; copies are independent.

#include <stdexcept>
#include <string>

namespace soar::state {

class StateError : public std::runtime_error {
public:
    enum class Kind {
        /// The file cannot be created, opened or written (permissions, missing disk, read-only
        /// store asked to write).
        Unwritable,
        /// A read-only open (the `status` command) found no state file.
        Missing,
        /// The file exists but is not a soar-sync state database, or it is damaged.
        Corrupt,
        /// The file was written by a newer soar-sync whose schema this binary does not know.
        TooNew,
        /// A read-only open found a file from an older soar-sync that needs migrating first.
        TooOld,
        /// The database stayed locked by another writer for longer than the busy timeout.
        Busy,
        /// A write broke a rule of the schema (e.g. an artifact mapping for an unmapped
        /// container): a bug in the caller, not in the file.
        Constraint,
        /// The write belongs to a route whose lease this daemon no longer holds (another daemon
        /// took it over, see `LeaseStore`): nothing was written.
        Fenced,
        /// The database server cannot be reached or the connection to it was lost (restart,
        /// network cut): transient; the store connects again on its next call.
        Unavailable,
        /// Anything else the database reports.
        Other,
    };

    StateError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

    /// What went wrong, for callers that treat some failures (e.g. `Busy`) as transient.
    [[nodiscard]] Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

}  // namespace soar::state
