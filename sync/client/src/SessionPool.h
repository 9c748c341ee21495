#pragma once

/// SessionPool: at most `connections` keep-alive HTTP(S) sessions to one endpoint, each lent
/// to one exchange at a time. Sessions are opened lazily, on the first borrow that finds none
/// idle, with the instance's connect and send/receive timeouts; a session whose connection
/// broke is handed back reset, and reconnects on its next use.
///
/// Thread safety: borrowing and returning may happen from any thread; a borrower beyond
/// `connections` waits until a session comes back. Ownership: owns its sessions (closed when
/// the pool is destroyed, when no Lease may be alive); shares the TLS context.

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace soar::sync {

struct SessionSettings {
    std::string host;
    unsigned short port = 0;
    /// Set for https; null for plain http.
    Poco::Net::Context::Ptr tls;
    unsigned connections = 1;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{30'000};
};

class SessionPool {
public:
    using Session = Poco::Net::HTTPClientSession;

    explicit SessionPool(SessionSettings settings);
    ~SessionPool();
    SessionPool(const SessionPool&) = delete;
    SessionPool& operator=(const SessionPool&) = delete;

    /// Borrows one session for the lifetime of the Lease (waits for one if all are lent).
    class Lease {
    public:
        explicit Lease(SessionPool& pool) : pool_(pool), session_(pool.acquire()) {}
        ~Lease() { pool_.release(std::move(session_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        Session& operator*() const { return *session_; }

    private:
        SessionPool& pool_;
        std::unique_ptr<Session> session_;
    };

private:
    std::unique_ptr<Session> acquire();
    void release(std::unique_ptr<Session> session);

    SessionSettings settings_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<Session>> idle_;
    unsigned open_ = 0;
};

}  // namespace soar::sync
