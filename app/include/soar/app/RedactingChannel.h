#pragma once

/// RedactingChannel: a Poco::Channel in front of every log sink that masks credentials
/// before any byte reaches a console, file or test channel (style §2.6 item 23, after
/// ClickHouse's OwnSplitChannel). Masked: the values after `ph-auth-token`, `Authorization`
/// (scheme kept), `password=` and `token=` (any case), and every secret value registered with
/// addSecret() wherever it appears.
///
/// Thread safety: log() may be called from any thread; addSecret() may run while logging.
/// Ownership: holds a reference (AutoPtr) to the channel it forwards to.

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>

#include <mutex>
#include <string>
#include <vector>

namespace soar::app {

/// Masks credentials in `text` as RedactingChannel does, with `secrets` masked verbatim.
[[nodiscard]] std::string redact(const std::string& text, const std::vector<std::string>& secrets);

class RedactingChannel : public Poco::Channel {
public:
    explicit RedactingChannel(Poco::AutoPtr<Poco::Channel> next);

    /// Masks `secret` from now on (values shorter than 4 characters are ignored: masking
    /// them would shred ordinary text and they are no secret anyway).
    void addSecret(const std::string& secret);
    /// Masks `text` with this channel's secrets.
    [[nodiscard]] std::string apply(const std::string& text) const;

    void log(const Poco::Message& msg) override;
    void open() override;
    void close() override;
    [[nodiscard]] std::vector<std::string> secrets() const;

private:
    Poco::AutoPtr<Poco::Channel> next_;
    mutable std::mutex mutex_;
    std::vector<std::string> secrets_;
};

}  // namespace soar::app
