#pragma once

/// A Poco log sink that keeps every line it is given, so tests can assert on what reached
/// a log (for example that a token never does). Thread-safe.

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace soar::test {

class CapturingChannel final : public Poco::Channel {
public:
    void log(const Poco::Message& message) override {
        const std::lock_guard<std::mutex> lock(mutex_);
        lines_.push_back(message.getText());
    }
    /// Every line so far, in order.
    [[nodiscard]] std::vector<std::string> lines() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return lines_;
    }
    /// Every line so far, each followed by a newline.
    [[nodiscard]] std::string all() const {
        std::string out;
        for (const auto& line : lines()) out += line + "\n";
        return out;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

/// Captures what one logger writes from its construction until end() or its destruction
/// (at `level` when given), then gives the logger its own channel and level back, also when
/// a test fails in between.
class LogCapture {
public:
    explicit LogCapture(const std::string& logger, std::optional<int> level = std::nullopt)
        : logger_(Poco::Logger::get(logger)),
          previous_(logger_.getChannel()),
          previous_level_(logger_.getLevel()),
          channel_(new CapturingChannel) {
        logger_.setChannel(channel_);
        if (level) logger_.setLevel(*level);
    }
    ~LogCapture() { end(); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    /// Stops capturing; what was captured stays readable.
    void end() {
        if (ended_) return;
        ended_ = true;
        logger_.setChannel(previous_);
        logger_.setLevel(previous_level_);
    }
    [[nodiscard]] std::vector<std::string> lines() const { return channel_->lines(); }
    [[nodiscard]] std::string all() const { return channel_->all(); }

private:
    Poco::Logger& logger_;
    Poco::Channel::Ptr previous_;
    int previous_level_;
    Poco::AutoPtr<CapturingChannel> channel_;
    bool ended_ = false;
};

}  // namespace soar::test
