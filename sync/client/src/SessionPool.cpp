#include "SessionPool.h"

#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Timespan.h>

namespace soar::sync {

SessionPool::SessionPool(SessionSettings settings) : settings_(std::move(settings)) {}

SessionPool::~SessionPool() = default;

std::unique_ptr<SessionPool::Session> SessionPool::acquire() {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [this] { return !idle_.empty() || open_ < settings_.connections; });
    if (!idle_.empty()) {
        auto session = std::move(idle_.back());
        idle_.pop_back();
        return session;
    }
    ++open_;
    lock.unlock();
    std::unique_ptr<Session> session;
    if (settings_.tls) {
        session = std::make_unique<Poco::Net::HTTPSClientSession>(settings_.host, settings_.port,
                                                                  settings_.tls);
    } else {
        session = std::make_unique<Session>(settings_.host, settings_.port);
    }
    const auto to_span = [](std::chrono::milliseconds d) {
        return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(d.count()) * 1000);
    };
    session->setTimeout(to_span(settings_.connect_timeout), to_span(settings_.timeout),
                        to_span(settings_.timeout));
    session->setKeepAlive(true);
    return session;
}

void SessionPool::release(std::unique_ptr<Session> session) {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(session));
    }
    returned_.notify_one();
}

}  // namespace soar::sync
