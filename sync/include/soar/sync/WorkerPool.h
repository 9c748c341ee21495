#pragma once

/// WorkerPool: a fixed set of threads that run posted jobs in order of posting. The daemon
/// owns one per target instance (its `connections` threads), and the route engine replays
/// containers on it, so no thread is created per pass; the daemon runs its route schedules
/// and the targets of a pass on pools of its own.
///
/// A job must not throw (one that does is caught and logged, and the worker goes on).
/// Thread safety: post() from any thread, including a job. Ownership: the destructor runs
/// what is queued, then joins the threads.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace soar::sync {

class WorkerPool {
public:
    /// `name` names the threads in logs; `threads` is at least 1.
    WorkerPool(std::string name, unsigned threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void post(std::function<void()> job);
    [[nodiscard]] unsigned size() const { return static_cast<unsigned>(threads_.size()); }

private:
    void run();

    std::string name_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    bool closing_ = false;
    std::vector<std::thread> threads_;
};

/// Makes the allocator give blocks of 256 KiB and more (records of megabytes, the answers
/// they come in) back to the system when they are freed. By default glibc raises that
/// threshold after the first such free and keeps later ones in the heap of the thread that
/// freed them, so with a walk thread and workers the process keeps the worst moment of each.
/// It also keeps a few MiB free at the top of each heap rather than trimming it after every
/// page, and turns off glibc's fast bins, whose merging on each large request cost more CPU
/// than they save. Once per process, before the engine's threads start; a no-op elsewhere
/// than glibc. A process on jemalloc (the build's default, SOAR_SYNC_ALLOCATOR) does not use
/// glibc's allocator, so these settings change nothing there: jemalloc has no fast bins and
/// gives freed pages back to the system itself, some seconds after they were freed.
void releaseLargeBlocksOnFree();

}  // namespace soar::sync
