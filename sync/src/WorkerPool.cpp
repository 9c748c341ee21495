#include "soar/sync/WorkerPool.h"

#include <Poco/Logger.h>

#include <exception>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace soar::sync {

WorkerPool::WorkerPool(std::string name, unsigned threads) : name_(std::move(name)) {
    if (threads == 0) threads = 1;
    threads_.reserve(threads);
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closing_ = true;
    }
    ready_.notify_all();
    for (auto& thread : threads_) thread.join();
}

void WorkerPool::post(std::function<void()> job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
}

void WorkerPool::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            ready_.wait(lock, [this] { return closing_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            poco_error(Poco::Logger::get("sync.workers"),
                       "a job of worker pool " + name_ + " failed: " + e.what());
        } catch (...) {
            poco_error(Poco::Logger::get("sync.workers"),
                       "a job of worker pool " + name_ + " failed");
        }
    }
}

void releaseLargeBlocksOnFree() {
#if defined(__GLIBC__)
    (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    // Setting the threshold above also freezes the trim threshold at 128 KiB: each heap
    // would give its top back after almost every page of records and fault it in again for
    // the next one. A few MiB of slack per heap keeps those pages.
    (void)mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
    // No fast bins: with them, every request of 1 KiB or more (an answer, a JSON text)
    // first merges all freed small blocks of that heap, which cost a sixth of the sync's CPU.
    // The per-thread cache still serves small blocks without a lock.
    (void)mallopt(M_MXFAST, 0);
#endif
}

}  // namespace soar::sync
