#pragma once

/// PassReport: how a pass is told. The PassResult made from what the pass did (its counts,
/// its first error sorted into Interrupted or Failing), the progress line a long pass logs,
/// and at its end one line per pass and target plus the pass's record in the store (with the
/// target's health: only refused credentials and TLS mark it failing, design.md §5).
///
/// Thread safety: ProgressLog from the walking thread; the functions from any.

#include "soar/state/Store.h"
#include "soar/sync/TargetSync.h"

#include <chrono>
#include <exception>
#include <string>

namespace Poco {
class Logger;
}

namespace soar::sync {

/// The result of a pass that counted `counts`, stopped on `error` (or none), was cancelled
/// or not, and ran for `duration`.
[[nodiscard]] PassResult makeResult(const state::PassCounts& counts, std::exception_ptr error,
                                    bool cancelled, std::chrono::milliseconds duration);

/// Logs a finished pass and records it in the store. `what` is "pass", "resync" or
/// "retry-dead". An idle pass (nothing written, nothing refused) of a daemon (`idle_logged`
/// set) logs at debug, and at Information at most every 5 minutes, saying where the cursor
/// is. A store that cannot record the pass turns an Ok pass into Interrupted.
PassResult finishPass(const char* what, const state::RouteTarget& key, state::Store& store,
                      Poco::Logger& logger, const Clock& clock, const std::string& started_at,
                      PassResult result,
                      std::chrono::steady_clock::time_point* idle_logged = nullptr);

/// The progress line of a long pass, every `interval`.
class ProgressLog {
public:
    ProgressLog(const state::RouteTarget& key, Poco::Logger& logger, const Clock& clock,
                std::chrono::milliseconds interval, std::chrono::steady_clock::time_point started);
    /// Logs `counts` when the interval has passed since the last line.
    void tick(const state::PassCounts& counts);

private:
    const state::RouteTarget& key_;
    Poco::Logger& logger_;
    const Clock& clock_;
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace soar::sync
