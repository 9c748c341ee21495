#pragma once

/// Logging: builds the one sink chain every logger writes to, per `[log]` (design §4):
///
///     Logger -> RedactingChannel -> FormattingChannel(text | json) -> console | FileChannel
///
/// The redacting channel sits in front of every sink, so a secret registered with it (or a
/// header/password pattern) never reaches any output. The file sink rotates per `rotate`,
/// keeps `keep` archives and reopens on reopen() (SIGHUP, for logrotate's copytruncate-free
/// mode of operation).
///
/// Thread safety: install() once, from the main thread, before threads start; reopen() and
/// redactor() from any thread afterwards.

#include "soar/app/Config.h"
#include "soar/app/RedactingChannel.h"

#include <Poco/AutoPtr.h>
#include <Poco/Formatter.h>

#include <string>

namespace Poco {
class FileChannel;
}

namespace soar::app {

/// One JSON object per line: time (UTC, ISO 8601), level, logger, message, thread.
class JsonFormatter : public Poco::Formatter {
public:
    void format(const Poco::Message& msg, std::string& text) override;
};

class Logging {
public:
    /// Sets the root logger (and every existing logger) to the chain above.
    static void install(const LogConfig& config);
    /// Console text at `level` before the config is read (errors of the config itself).
    static void installBootstrap();
    /// Points the chain at `sink` instead (tests capture with it); keeps redaction.
    static void installWithSink(Poco::AutoPtr<Poco::Channel> sink, const std::string& format,
                                const std::string& level);
    /// The redacting channel of the installed chain.
    static RedactingChannel& redactor();
    /// Closes the log file so the next line opens it afresh (after logrotate moved it).
    static void reopen();
};

}  // namespace soar::app
