#include "soar/app/Logging.h"
#include "soar/app/RedactingChannel.h"
#include "support/CapturingChannel.h"

#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <catch2/catch.hpp>

#include <mutex>
#include <string>
#include <vector>

namespace {

/// Keeps every formatted line a sink receives.
using soar::test::CapturingChannel;

}  // namespace

TEST_CASE("credentials are masked in any text", "[app][redaction]") {
    using soar::app::redact;
    struct Case {
        const char* in;
        const char* out;
    };
    const std::vector<Case> cases = {
        {"ph-auth-token: abc123", "ph-auth-token: ***"},
        {"PH-AUTH-TOKEN=abc123&x=1", "PH-AUTH-TOKEN=***&x=1"},
        {"Authorization: Bearer abc.def", "Authorization: Bearer ***"},
        {"authorization: Basic dXNlcjpwYXNz", "authorization: Basic ***"},
        {"GET /x?token=abc&page=1", "GET /x?token=***&page=1"},
        {"password=hunter22 user=bob", "password=*** user=bob"},
        {"{\"password\": \"hunter22\"}", "{\"password\": \"***\"}"},
        {"token_env = SOAR_HQ_TOKEN", "token_env = SOAR_HQ_TOKEN"},
        {"nothing to hide", "nothing to hide"},
    };
    for (const auto& c : cases) {
        INFO(c.in);
        CHECK(redact(c.in, {}) == c.out);
    }
    CHECK(redact("the key is s3cr3t-value, again s3cr3t-value", {"s3cr3t-value"}) ==
          "the key is ***, again ***");
    CHECK(redact("abc", {"ab"}) == "abc");  // too short to be a secret
}

TEST_CASE("a registered secret never reaches a log sink, in text or JSON", "[app][redaction]") {
    const std::string secret = "tok-5f3a9c2e-known-secret";
    for (const char* format : {"text", "json"}) {
        INFO(format);
        Poco::AutoPtr<CapturingChannel> sink(new CapturingChannel);
        soar::app::Logging::installWithSink(sink, format, "debug");
        soar::app::Logging::redactor().addSecret(secret);
        auto& logger = Poco::Logger::get("app.test");
        poco_error(logger, "[instance.hq] refused token " + secret);
        poco_warning(logger, "header ph-auth-token: " + secret);
        poco_information(logger, "GET /rest/container?token=" + secret + "&page=0");
        poco_debug(logger, "Authorization: Bearer " + secret);
        poco_notice(logger, "password=" + secret);
        const auto text = sink->all();
        CHECK_THAT(text, Catch::Contains("refused token ***"));
        CHECK(text.find(secret) == std::string::npos);
        CHECK(text.find("5f3a9c2e") == std::string::npos);
    }
    soar::app::Logging::installBootstrap();
}

TEST_CASE("control characters are written out, so a peer's text cannot forge a line",
          "[app][redaction]") {
    using soar::app::printable;
    CHECK(printable("plain text\twith a tab, and UTF-8: caf\xc3\xa9") ==
          "plain text\twith a tab, and UTF-8: caf\xc3\xa9");
    CHECK(printable("a\nb\rc") == "a\\x0ab\\x0dc");
    CHECK(printable("\x1b]0;owned\x07\x1b[31mred") == "\\x1b]0;owned\\x07\\x1b[31mred");
    CHECK(printable("del\x7f") == "del\\x7f");
    // U+009B (CSI in its one-character form) and U+0085 (next line), as UTF-8.
    CHECK(printable("c1 \xc2\x9b"
                    "31m \xc2\x85") == "c1 \\u009b31m \\u0085");
    CHECK(printable("\xc2\xa0 no-break space stays") == "\xc2\xa0 no-break space stays");
    CHECK(printable(printable("x\x1by")) == printable("x\x1by"));  // idempotent
}

TEST_CASE("every log line is one line: a peer's newline and escape sequences are written out",
          "[app][redaction]") {
    for (const char* format : {"text", "json"}) {
        INFO(format);
        Poco::AutoPtr<CapturingChannel> sink(new CapturingChannel);
        soar::app::Logging::installWithSink(sink, format, "debug");
        auto& logger = Poco::Logger::get("app.test");
        poco_error(logger,
                   "target said: bad label\n2026-12-01 00:00:00 [Information] forged "
                   "\x1b]0;title\x07\x1b[31m");
        const auto lines = sink->lines();
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].find('\x1b') == std::string::npos);
        CHECK(lines[0].find('\n') == std::string::npos);
        CHECK_THAT(lines[0], Catch::Contains("bad label\\x0a2026") ||
                                 Catch::Contains("bad label\\\\x0a2026"));
    }
    soar::app::Logging::installBootstrap();
}
