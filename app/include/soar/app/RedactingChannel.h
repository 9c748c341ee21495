#pragma once

/// RedactingChannel: a Poco::Channel in front of every log sink that masks credentials
/// before any byte reaches a console, file or test channel (style §2.6 item 23, after
/// ClickHouse's OwnSplitChannel). Masked: the values after `ph-auth-token`, `Authorization`
/// (scheme kept), `password=` and `token=` (any case), and every secret value registered with
/// addSecret() wherever it appears; control characters are escaped (printable()), so every
/// log line is one line.
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

/// `text` with every control character written out: bytes below 0x20 (but tab) and DEL as
/// `\xNN`, the C1 controls U+0080..U+009F as `\u00NN`. Text from a peer (a record field, an
/// error message) can then neither forge a log line nor drive the operator's terminal.
/// The one place control characters are escaped: log lines, stored texts, stderr messages
/// and table cells all go through it.
[[nodiscard]] std::string printable(const std::string& text);

class RedactingChannel : public Poco::Channel {
public:
    explicit RedactingChannel(Poco::AutoPtr<Poco::Channel> next);

    /// Masks `secret` from now on (values shorter than 4 characters are ignored: masking
    /// them would shred ordinary text; configured secrets are at least 8 characters).
    void addSecret(const std::string& secret);
    /// Masks `text` with this channel's secrets (a whole output: its newlines stay).
    [[nodiscard]] std::string apply(const std::string& text) const;
    /// One line of text as it may be shown or stored: masked, then printable().
    [[nodiscard]] std::string clean(const std::string& text) const;

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
