#pragma once

/// DaemonLock: one `soar-sync run` per state file. The daemon takes an exclusive advisory
/// lock (flock) on `<state file>.daemon` and writes its pid, host and start time there; a
/// second daemon on the same state file finds the lock held and is refused with a message
/// naming the first one. The lock goes with the process (crash included), so a stale file
/// never blocks a restart. `resync`, `retry-dead`, `status` and `dead-letters` take no lock:
/// they run beside a daemon (the store serialises writers).
///
/// Thread safety: none needed; one object per process. Ownership: holds the file descriptor
/// until destroyed.

#include <stdexcept>
#include <string>

namespace soar::app {

/// Another daemon holds the state file (exit 75, a temporary failure: it can start once
/// the other one stops).
class DaemonRunning : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class DaemonLock {
public:
    /// Takes the lock for `state_path`. Throws DaemonRunning when another process holds it,
    /// std::runtime_error when the lock file cannot be opened.
    explicit DaemonLock(const std::string& state_path);
    ~DaemonLock();
    DaemonLock(const DaemonLock&) = delete;
    DaemonLock& operator=(const DaemonLock&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace soar::app
