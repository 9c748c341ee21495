#pragma once

/// A program run as a child process for tests that drive an executable end to end (the
/// soar-sync daemon, say): this process's environment plus extra `NAME=value` entries,
/// stdout and stderr to files, a wait with a deadline, signals (SIGKILL for crash tests).
/// The destructor SIGKILLs and reaps a child that still runs, so a failed REQUIRE leaves no
/// process behind. Not thread-safe: one owner drives it.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace soar::test {

class ChildProcess {
public:
    /// Starts `program` with `args` (argv[0] is `program`); throws std::runtime_error when
    /// the spawn fails.
    ChildProcess(const std::string& program, const std::vector<std::string>& args,
                 std::filesystem::path out, std::filesystem::path err,
                 const std::vector<std::string>& env = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    void signal(int sig) const;
    /// SIGKILL, then reap; returns what wait() would.
    int kill();
    /// Whether the child still runs (reaps it when it has exited).
    [[nodiscard]] bool running();
    /// The exit code (128 + signal when a signal ended it), or nullopt if the child still
    /// runs after `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);

    [[nodiscard]] pid_t pid() const { return pid_; }
    /// What the child wrote to stdout and stderr so far.
    [[nodiscard]] std::string out() const;
    [[nodiscard]] std::string err() const;

private:
    /// One waitpid(); true once the child has been reaped.
    bool reap(bool block);

    pid_t pid_ = 0;
    std::filesystem::path out_;
    std::filesystem::path err_;
    std::optional<int> exit_;
};

/// The whole content of a file ("" when it does not exist).
[[nodiscard]] std::string readWholeFile(const std::filesystem::path& path);

}  // namespace soar::test
