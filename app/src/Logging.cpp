#include "soar/app/Logging.h"

#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/PatternFormatter.h>

#include <mutex>
#include <sstream>

namespace soar::app {

namespace {

std::mutex g_mutex;
Poco::AutoPtr<RedactingChannel> g_redactor;
Poco::AutoPtr<Poco::FileChannel> g_file;

const char* levelName(Poco::Message::Priority p) {
    switch (p) {
        case Poco::Message::PRIO_FATAL:
            return "fatal";
        case Poco::Message::PRIO_CRITICAL:
            return "critical";
        case Poco::Message::PRIO_ERROR:
            return "error";
        case Poco::Message::PRIO_WARNING:
            return "warning";
        case Poco::Message::PRIO_NOTICE:
            return "notice";
        case Poco::Message::PRIO_INFORMATION:
            return "information";
        case Poco::Message::PRIO_DEBUG:
            return "debug";
        case Poco::Message::PRIO_TRACE:
            return "trace";
    }
    return "information";
}

Poco::AutoPtr<Poco::Formatter> makeFormatter(const std::string& format) {
    if (format == "json") return new JsonFormatter;
    Poco::AutoPtr<Poco::PatternFormatter> text(
        new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
    return text;
}

void installChain(Poco::AutoPtr<Poco::Channel> sink, const std::string& format,
                  const std::string& level) {
    Poco::AutoPtr<Poco::FormattingChannel> formatting(
        new Poco::FormattingChannel(makeFormatter(format), sink));
    Poco::AutoPtr<RedactingChannel> redactor(new RedactingChannel(formatting));
    {
        const std::lock_guard<std::mutex> lock(g_mutex);
        // Secrets registered with an earlier chain stay masked.
        if (g_redactor) {
            for (const auto& secret : g_redactor->secrets()) redactor->addSecret(secret);
        }
        g_redactor = redactor;
    }
    const int priority = Poco::Logger::parseLevel(level);
    // The root logger first: loggers made later inherit from it, existing ones are updated
    // by the prefix calls.
    Poco::Logger::root().setChannel(redactor);
    Poco::Logger::root().setLevel(priority);
    Poco::Logger::setChannel("", redactor);
    Poco::Logger::setLevel("", priority);
}

}  // namespace

void JsonFormatter::format(const Poco::Message& msg, std::string& text) {
    Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
    line.set("time", Poco::DateTimeFormatter::format(msg.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ"));
    line.set("level", levelName(msg.getPriority()));
    line.set("logger", msg.getSource());
    line.set("message", msg.getText());
    line.set("thread", msg.getTid());
    std::ostringstream out;
    line.stringify(out);
    text = out.str();
}

void Logging::install(const LogConfig& config) {
    Poco::AutoPtr<Poco::Channel> sink;
    if (config.file.empty()) {
        sink = new Poco::ConsoleChannel;
    } else {
        Poco::AutoPtr<Poco::FileChannel> file(new Poco::FileChannel(config.file));
        file->setProperty(Poco::FileChannel::PROP_ROTATION, config.rotate);
        file->setProperty(Poco::FileChannel::PROP_ARCHIVE, "timestamp");
        file->setProperty(Poco::FileChannel::PROP_TIMES, "utc");
        file->setProperty(Poco::FileChannel::PROP_COMPRESS, config.compress ? "true" : "false");
        file->setProperty(Poco::FileChannel::PROP_PURGECOUNT, std::to_string(config.keep));
        file->setProperty(Poco::FileChannel::PROP_FLUSH, "true");
        {
            const std::lock_guard<std::mutex> lock(g_mutex);
            g_file = file;
        }
        sink = file;
    }
    installChain(sink, config.format, config.level);
}

void Logging::installBootstrap() { installChain(new Poco::ConsoleChannel, "text", "information"); }

void Logging::installWithSink(Poco::AutoPtr<Poco::Channel> sink, const std::string& format,
                              const std::string& level) {
    installChain(std::move(sink), format, level);
}

RedactingChannel& Logging::redactor() {
    const std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_redactor) {
        g_redactor = new RedactingChannel(new Poco::ConsoleChannel);
        Poco::Logger::root().setChannel(g_redactor);
        Poco::Logger::setChannel("", g_redactor);
    }
    return *g_redactor;
}

void Logging::reopen() {
    Poco::AutoPtr<Poco::FileChannel> file;
    {
        const std::lock_guard<std::mutex> lock(g_mutex);
        file = g_file;
    }
    // FileChannel opens lazily on the next message after close().
    if (file) file->close();
}

}  // namespace soar::app
