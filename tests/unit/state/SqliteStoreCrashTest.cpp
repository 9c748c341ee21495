#include "StateTestUtil.h"
#include "soar/state/SqliteStore.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdint>
#include <set>
#include <string>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace soar::state;
using namespace soar::state::test;

namespace {

/// The child: opens the store and commits unit after unit, from `first`, reporting each unit
/// number on `out` only after `commit` returned. It never returns.
[[noreturn]] void writeLoop(const StateOptions& options, std::int64_t first, int out) {
    try {
        auto store = SqliteStore::open(options);
        for (std::int64_t n = first;; ++n) {
            store->commit(unitOf(n));
            if (write(out, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) _exit(3);
        }
    } catch (...) {
        _exit(2);
    }
}

/// Forks a writer, kills it with SIGKILL once it reported `kill_after` units, and returns
/// every unit it reported committed.
std::set<std::int64_t> runAndKill(const StateOptions& options, std::int64_t first, int kill_after) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        writeLoop(options, first, fds[1]);
    }
    close(fds[1]);
    std::set<std::int64_t> committed;
    std::int64_t n = 0;
    while (static_cast<int>(committed.size()) < kill_after &&
           read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) {
        committed.insert(n);
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    // Units reported between our last read and the kill.
    while (read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) committed.insert(n);
    close(fds[0]);
    REQUIRE(WIFSIGNALED(status));  // it was still writing: killed mid-loop, not exited
    CHECK(WTERMSIG(status) == SIGKILL);
    return committed;
}

}  // namespace

TEST_CASE("A writer killed with SIGKILL leaves every committed unit and no half unit",
          "[state][crash]") {
    soar::test::TempDir dir;
    StateOptions options;
    options.path = (dir.path() / "state.db").string();

    std::set<std::int64_t> reported;
    std::int64_t next = 1;
    // Several kills at different depths, each restart continuing from what survived.
    for (int kill_after : {40, 150, 90}) {
        const auto committed = runAndKill(options, next, kill_after);
        REQUIRE_FALSE(committed.empty());
        reported.insert(committed.begin(), committed.end());

        auto store = SqliteStore::open(options);
        REQUIRE(store->integrityCheck() == "ok");
        for (const auto n : reported) {
            INFO("unit " << n);
            REQUIRE(rowsOfUnit(*store, n) == 1 + kArtifactsPerUnit);
        }
        // Units are written in order: what is there is a prefix, each one whole, and the
        // cursor names the last one.
        const std::int64_t last_reported = *reported.rbegin();
        std::int64_t last_present = 0;
        for (std::int64_t n = 1; n <= last_reported + 20; ++n) {
            const int rows = rowsOfUnit(*store, n);
            INFO("unit " << n);
            REQUIRE((rows == 0 || rows == 1 + kArtifactsPerUnit));
            if (rows != 0) {
                REQUIRE(last_present == n - 1);
                last_present = n;
            }
        }
        CHECK(last_present >= last_reported);
        CHECK(store->cursor(testKey(), Stream::ContainersCreated)->last_id == last_present);
        const auto counts = store->mappingCounts(testKey());
        CHECK(counts.containers == last_present);
        CHECK(counts.artifacts == last_present * kArtifactsPerUnit);
        next = last_present + 1;
    }
}
