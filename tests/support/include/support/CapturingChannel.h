#pragma once

/// A Poco log sink that keeps every line it is given, so tests can assert on what reached
/// a log (for example that a token never does). Thread-safe.

#include <Poco/Channel.h>
#include <Poco/Message.h>

#include <mutex>
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

}  // namespace soar::test
