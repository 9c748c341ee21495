#pragma once

/// What the engine's unit tests share: a route from the FakeSource "src" to the FakeTarget
/// "dst" over an InMemoryStore, every time read from one ManualClock, and the engine's log
/// lines kept in a CapturingChannel (restored on destruction) instead of reaching the console.
/// No sockets, no files, no real waits.

#include "soar/client/Clock.h"
#include "soar/state/Records.h"
#include "soar/sync/PlaybookTracker.h"
#include "soar/sync/RecordMapper.h"
#include "soar/sync/RouteConfig.h"
#include "soar/sync/TargetSync.h"
#include "support/CapturingChannel.h"
#include "support/FakeSource.h"
#include "support/FakeTarget.h"
#include "support/InMemoryStore.h"

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace soar::test {

/// Sends the engine's loggers to one CapturingChannel while it lives.
class EngineLogCapture {
public:
    EngineLogCapture() {
        for (const char* name : {"sync.route", "sync.playbook"}) {
            auto& logger = Poco::Logger::get(name);
            saved_.push_back({&logger, Poco::AutoPtr<Poco::Channel>(logger.getChannel(), true),
                              logger.getLevel()});
            logger.setChannel(channel_);
            logger.setLevel(Poco::Message::PRIO_DEBUG);
        }
    }
    ~EngineLogCapture() {
        for (auto& saved : saved_) {
            saved.logger->setChannel(saved.channel);
            saved.logger->setLevel(saved.level);
        }
    }
    EngineLogCapture(const EngineLogCapture&) = delete;
    EngineLogCapture& operator=(const EngineLogCapture&) = delete;

    [[nodiscard]] std::string all() const { return channel_->all(); }

private:
    struct Saved {
        Poco::Logger* logger;
        Poco::AutoPtr<Poco::Channel> channel;
        int level;
    };
    Poco::AutoPtr<CapturingChannel> channel_{new CapturingChannel};
    std::vector<Saved> saved_;
};

struct EngineFixture {
    EngineLogCapture logs;
    std::shared_ptr<sync::ManualClock> clock = std::make_shared<sync::ManualClock>();
    FakeSource source{"src"};
    FakeTarget target{"dst", clock};
    InMemoryStore store;
    state::RouteTarget key{"r", "dst"};
    sync::RouteConfig route = makeRoute();
    sync::TargetSyncOptions options = makeOptions();
    sync::RecordMapper mapper{sync::MappingRules{"src", {}, {}}};

    EngineFixture() = default;
    EngineFixture(const EngineFixture&) = delete;
    EngineFixture& operator=(const EngineFixture&) = delete;

    /// A new engine on the fixture's fakes and store: what a restarted daemon makes.
    [[nodiscard]] std::unique_ptr<sync::TargetSync> engine() {
        return std::make_unique<sync::TargetSync>(route, options, source, target, store);
    }
    /// One pass of a new engine (the store keeps everything between two of them).
    sync::PassResult pass() { return engine()->runPass(); }

    /// The target copy's `source_data_identifier` of a source container.
    [[nodiscard]] std::string sdi(std::int64_t source_id) const {
        return mapper.containerSdi(source_id);
    }
    [[nodiscard]] std::optional<state::Cursor> cursor(state::Stream stream) const {
        return store.cursor(key, stream);
    }

private:
    sync::RouteConfig makeRoute() const {
        sync::RouteConfig r;
        r.name = key.route;
        r.source = "src";
        r.targets = {key.target};
        r.page_size = 50;
        r.lookback = std::chrono::seconds(60);
        r.artifacts = true;
        r.notes = false;
        return r;
    }
    sync::TargetSyncOptions makeOptions() const {
        sync::TargetSyncOptions o;
        o.target = key.target;
        o.in_flight = 4;
        o.clock = clock;
        return o;
    }
};

}  // namespace soar::test
