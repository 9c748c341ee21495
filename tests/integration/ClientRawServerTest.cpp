// PocoSoarApi against a raw socket server answering canned bytes: what a SOAR behind a proxy
// might send when things go wrong. Tagged [integration]: real sockets on loopback.

#include "RawHttpServer.h"
#include "soar/client/Errors.h"
#include "soar/client/Paging.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/client/Retry.h"
#include "support/CapturingChannel.h"
#include "support/ChildProcess.h"
#include "support/TempDir.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;
using soar::sync::Credentials;
using soar::sync::InstanceConfig;
using soar::sync::ManualClock;
using soar::sync::PocoSoarApi;
using soar::sync::Secret;
using soar::test::RawHttpServer;
using soar::test::RawRequest;

namespace {

constexpr const char* kToken = "tok-5ecret-0123456789";

InstanceConfig rawConfig(const std::string& url) {
    InstanceConfig config;
    config.name = "raw";
    config.url = url;
    config.allow_insecure_http = true;
    config.token_env = "SOAR_RAW_TOKEN";
    config.timeout = 3s;
    config.connect_timeout = 1s;
    config.connections = 2;
    config.retry.max_attempts = 4;
    config.retry.initial_backoff = 100ms;
    config.retry.max_backoff = 1s;
    return config;
}

Credentials tokenCredentials() { return Credentials{"", Secret(kToken), "token_env"}; }

std::unique_ptr<PocoSoarApi> client(const InstanceConfig& config,
                                    std::shared_ptr<soar::sync::Clock> clock = nullptr) {
    return PocoSoarApi::create(config, tokenCredentials(),
                               clock ? std::move(clock) : std::make_shared<ManualClock>(), 42);
}

using soar::test::CapturingChannel;

template <typename Error, typename Call>
std::string errorText(Call&& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

std::string versionBody() { return R"({"version": "6.4.1.361"})"; }

}  // namespace

TEST_CASE("Raw server: a good answer and the headers the client sends", "[client][integration]") {
    RawHttpServer server(
        [](const RawRequest&, std::size_t) { return RawHttpServer::answer(200, versionBody()); });
    auto api = client(rawConfig(server.url()));
    CHECK(api->version() == "6.4.1.361");
    const auto requests = server.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].target == "/rest/version");
    CHECK_THAT(requests[0].head, Catch::Contains(std::string("ph-auth-token: ") + kToken));
    CHECK_THAT(requests[0].head, Catch::Contains("Accept: application/json"));
}

TEST_CASE("Raw server: bearer and basic auth headers", "[client][integration]") {
    RawHttpServer server(
        [](const RawRequest&, std::size_t) { return RawHttpServer::answer(200, versionBody()); });
    auto config = rawConfig(server.url());
    config.auth = soar::sync::AuthScheme::Bearer;
    (void)client(config)->version();
    config.auth = soar::sync::AuthScheme::Basic;
    (void)PocoSoarApi::create(config, Credentials{"admin", Secret("password"), "password_env"},
                              std::make_shared<ManualClock>())
        ->version();
    const auto requests = server.requests();
    REQUIRE(requests.size() == 2);
    CHECK_THAT(requests[0].head, Catch::Contains(std::string("Authorization: Bearer ") + kToken));
    CHECK_THAT(requests[0].head, !Catch::Contains("ph-auth-token"));
    // base64("admin:password")
    CHECK_THAT(requests[1].head, Catch::Contains("Authorization: Basic YWRtaW46cGFzc3dvcmQ="));
}

TEST_CASE("Raw server: malformed JSON is a protocol error quoting the body",
          "[client][integration]") {
    RawHttpServer server([](const RawRequest&, std::size_t) {
        return RawHttpServer::answer(200, "{\"count\": 3, \"data\": [{\"id\": 1},");
    });
    auto api = client(rawConfig(server.url()));
    const auto text = errorText<soar::sync::ProtocolError>(
        [&] { (void)api->listPage("container", soar::sync::Query(), 0); });
    CHECK_THAT(text, Catch::StartsWith("[instance.raw] GET /rest/container: the answer (HTTP 200) "
                                       "is not JSON: '{\"count\": 3, \"data\": [{\"id\": 1},'"));
    CHECK(server.requestCount() == 1);  // not retried: a second try would not fix it
}

TEST_CASE("Raw server: a truncated body is a protocol error, never a crash",
          "[client][integration]") {
    RawHttpServer server([](const RawRequest&, std::size_t) {
        return std::string(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            "Content-Length: 400\r\nConnection: close\r\n\r\n"
            "{\"count\": 1, \"num_pages\": 1, \"data\": [{\"id\": 1, \"na");
    });
    auto api = client(rawConfig(server.url()));
    const auto text = errorText<soar::sync::ProtocolError>(
        [&] { (void)api->listPage("container", soar::sync::Query(), 0); });
    CHECK_THAT(text, Catch::Contains("truncated answer: got 51 of 400 bytes"));
}

TEST_CASE("Raw server: an answer over max_record_size is read through, not kept, and named",
          "[client][integration]") {
    // 3 MiB of strings (escapes cut anywhere included) and nesting before the fields that say
    // which record it is.
    std::string blob;
    for (int i = 0; i < 3 * 1024 * 64; ++i) blob += "abc\\\"\\u00e9 \xc3\xa9{[]}\\\\";
    const std::string body = R"({"count": 1, "num_pages": 1, "data": [{"data": {"a": [")" + blob +
                             R"(", {"create_time": "1999"}]}, "note": ")" + blob +
                             R"(", "id": 77, "create_time": "2024-05-01T00:00:00.000000Z"}]})";
    RawHttpServer server(
        [&](const RawRequest&, std::size_t) { return RawHttpServer::answer(200, body); });
    auto config = rawConfig(server.url());
    config.max_record_size = 64U << 10U;
    auto api = client(config);
    try {
        (void)api->listPage("container", soar::sync::Query(), 0);
        FAIL("read it");
    } catch (const soar::sync::UnreadablePage& e) {
        CHECK(e.reason() == "larger than max_record_size (64 KiB)");
        CHECK_THAT(e.what(), Catch::StartsWith("[instance.raw] GET /rest/container"));
        CHECK(e.first().at("id") == "77");
        CHECK(e.first().at("create_time") == "2024-05-01T00:00:00.000000Z");
        CHECK(e.first().at("note").size() < 2048);
    }
    CHECK(server.requestCount() == 1);  // not retried
}

TEST_CASE("Raw server: a vault file whose bytes are not the ones asked for is refused",
          "[client][integration][vault]") {
    RawHttpServer server([](const RawRequest&, std::size_t) {
        return std::string(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            "Content-Length: 5\r\n\r\nhello");
    });
    auto api = client(rawConfig(server.url()));
    soar::test::TempDir dir;
    const auto path = (dir.path() / "file").string();
    const std::string asked = "0123456789abcdef0123456789abcdef01234567";
    const auto text =
        errorText<soar::sync::ProtocolError>([&] { (void)api->downloadFile(asked, path, 100); });
    CHECK_THAT(text,
               Catch::Contains("arrived with SHA-1 aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"));
    CHECK_FALSE(std::filesystem::exists(path));
    // The right one is kept.
    CHECK(api->downloadFile("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", path, 100) == 5);
    CHECK(soar::test::readWholeFile(path) == "hello");
}

TEST_CASE("Raw server: wrong shapes are protocol errors", "[client][integration]") {
    RawHttpServer server([](const RawRequest& request, std::size_t) {
        if (request.target.rfind("/rest/version", 0) == 0) {
            return RawHttpServer::answer(200, "[1, 2, 3]");
        }
        if (request.target.rfind("/rest/container?", 0) == 0) {
            return RawHttpServer::answer(200, R"({"count": 1, "data": [1]})");
        }
        return RawHttpServer::answer(200, R"({"success": true})");  // no id
    });
    auto api = client(rawConfig(server.url()));
    CHECK_THROWS_AS(api->version(), soar::sync::ProtocolError);
    CHECK_THROWS_WITH(api->listPage("container", soar::sync::Query(), 0),
                      Catch::Contains("expected objects in \"data\""));
    CHECK_THROWS_WITH(api->createContainer(Poco::JSON::Object()),
                      Catch::Contains("expected {\"id\": N}"));
}

TEST_CASE("Raw server: garbage instead of HTTP is a protocol error", "[client][integration]") {
    RawHttpServer server(
        [](const RawRequest&, std::size_t) { return std::string("SSH-2.0-OpenSSH_9.2\r\n\r\n"); });
    auto api = client(rawConfig(server.url()));
    CHECK_THROWS_AS(api->version(), soar::sync::ProtocolError);
}

TEST_CASE("Raw server: an HTML error page on 404 is a record error, on 502 transient",
          "[client][integration]") {
    const std::string html =
        "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>";
    RawHttpServer server([&](const RawRequest& request, std::size_t) {
        const int status = request.target.find("/404") != std::string::npos ? 404 : 502;
        return RawHttpServer::answer(status, html, "", "text/html");
    });
    auto clock = std::make_shared<ManualClock>();
    auto config = rawConfig(server.url());
    config.retry.max_attempts = 3;
    auto api = client(config, clock);
    try {
        (void)api->updateContainer(404, Poco::JSON::Object());
        FAIL("no error");
    } catch (const soar::sync::RecordError& e) {
        CHECK(e.httpStatus() == 404);
        CHECK_THAT(e.serverMessage(), Catch::StartsWith("<html> <head><title>502 Bad Gateway"));
    }
    try {
        (void)api->version();
        FAIL("no error");
    } catch (const soar::sync::TransientError& e) {
        CHECK(e.httpStatus() == 502);
        CHECK_THAT(std::string(e.what()), Catch::Contains("HTTP 502: <html>"));
    }
    CHECK(server.requestCount() == 1 + 3);
    CHECK(clock->sleeps().size() == 2);
    const auto stats = api->stats();
    CHECK(stats.attempts == 4);
    CHECK(stats.retries == 2);
    CHECK(stats.by_status.at(502) == 3);
    CHECK(stats.by_status.at(404) == 1);
    CHECK(stats.errors.at("transient") == 1);
    CHECK(stats.errors.at("record") == 1);
}

TEST_CASE("Raw server: failed true is a failure whatever the status", "[client][integration]") {
    RawHttpServer server([](const RawRequest&, std::size_t) {
        return RawHttpServer::answer(
            200, R"({"failed": true, "message": "Label \"foobar\" is not a known label."})");
    });
    auto api = client(rawConfig(server.url()));
    try {
        (void)api->createContainer(Poco::JSON::Object());
        FAIL("no error");
    } catch (const soar::sync::RecordError& e) {
        CHECK(e.serverMessage() == "Label \"foobar\" is not a known label.");
        CHECK(e.httpStatus() == 200);
    }
}

TEST_CASE("Raw server: a duplicate answer is 'exists with id N'", "[client][integration]") {
    RawHttpServer server([](const RawRequest& request, std::size_t) {
        if (request.target == "/rest/container") {
            return RawHttpServer::answer(
                400,
                R"({"failed": true, "message": "duplicate with 17", "existing_container_id": "17"})");
        }
        if (request.body.front() == '[') {
            return RawHttpServer::answer(
                200, R"([{"success": true, "id": 5}, {"failed": true, "message": "bad cef"},)"
                     R"( {"existing_artifact_id": 9, "failed": true}])");
        }
        return RawHttpServer::answer(200, R"({"existing_artifact_id": 21, "success": true})");
    });
    auto api = client(rawConfig(server.url()));
    CHECK(api->createContainer(Poco::JSON::Object()) == soar::sync::CreateResult{17, true});
    CHECK(api->createArtifact(Poco::JSON::Object()) == soar::sync::CreateResult{21, true});
    Poco::JSON::Array batch;
    for (int i = 0; i < 3; ++i) batch.add(Poco::JSON::Object::Ptr(new Poco::JSON::Object));
    const auto results = api->createArtifacts(batch);
    REQUIRE(results.size() == 3);
    CHECK(results[0].id == 5);
    CHECK_FALSE(results[0].existed);
    CHECK_FALSE(results[1].ok());
    CHECK(results[1].error == "bad cef");
    CHECK(results[2].id == 9);
    CHECK(results[2].existed);
}

TEST_CASE("Raw server: the page past the end ends paging", "[client][integration]") {
    RawHttpServer server([](const RawRequest& request, std::size_t) {
        if (request.target.find("page=0&") != std::string::npos) {
            return RawHttpServer::answer(
                200, R"({"count": 2, "num_pages": 9, "data": [{"id": 1}, {"id": 2}]})");
        }
        return RawHttpServer::answer(
            404, R"({"failed": true, "message": "Invalid page: That page contains no results"})");
    });
    auto api = client(rawConfig(server.url()));
    std::size_t records = 0;
    const auto requests = soar::sync::forEachPage(
        *api, "container", soar::sync::Query().pageSize(2), [&](const soar::sync::Page& page) {
            records += page.records.size();
            return true;
        });
    CHECK(records == 2);
    CHECK(requests == 2);
}

TEST_CASE("Raw server: Retry-After is honoured (measured)", "[client][integration]") {
    RawHttpServer server([](const RawRequest&, std::size_t index) {
        if (index == 0) {
            return RawHttpServer::answer(429, R"({"failed": true, "message": "slow down"})",
                                         "Retry-After: 1\r\n");
        }
        return RawHttpServer::answer(200, versionBody());
    });
    auto api = client(rawConfig(server.url()), soar::sync::SystemClock::instance());
    const auto started = std::chrono::steady_clock::now();
    CHECK(api->version() == "6.4.1.361");
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const auto stats = api->stats();
    CHECK(stats.attempts == 2);
    CHECK(stats.retries == 1);
    CHECK(stats.by_status.at(429) == 1);
    CHECK(stats.by_status.at(200) == 1);
    WARN("Retry-After: 1 -> waited "
         << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
    CHECK(elapsed >= 950ms);
    CHECK(elapsed < 2500ms);
}

TEST_CASE("Raw server: an HTTP-date Retry-After is honoured", "[client][integration]") {
    auto clock = std::make_shared<ManualClock>();
    RawHttpServer server([&](const RawRequest&, std::size_t index) {
        if (index == 0) {
            // 7 s after the manual clock's wall time, written as an IMF-fixdate.
            const auto at = std::chrono::system_clock::to_time_t(
                std::chrono::time_point_cast<std::chrono::seconds>(clock->wallNow()) + 8s);
            char date[64];
            std::tm tm{};
            gmtime_r(&at, &tm);
            std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            return RawHttpServer::answer(503, "busy", std::string("Retry-After: ") + date + "\r\n",
                                         "text/plain");
        }
        return RawHttpServer::answer(200, versionBody());
    });
    auto api = client(rawConfig(server.url()), clock);
    CHECK(api->version() == "6.4.1.361");
    REQUIRE(clock->sleeps().size() == 1);
    CHECK(clock->sleeps()[0] > 7s);
    CHECK(clock->sleeps()[0] <= 8s);
}

TEST_CASE("Raw server: transient failures are retried with bounded backoff",
          "[client][integration]") {
    RawHttpServer server([](const RawRequest&, std::size_t index) {
        return index < 3 ? RawHttpServer::answer(500, R"({"failed": true, "message": "oops"})")
                         : RawHttpServer::answer(200, versionBody());
    });
    auto clock = std::make_shared<ManualClock>();
    auto config = rawConfig(server.url());
    config.retry.max_attempts = 5;
    auto api = client(config, clock);
    CHECK(api->version() == "6.4.1.361");
    CHECK(server.requestCount() == 4);
    const auto sleeps = clock->sleeps();
    REQUIRE(sleeps.size() == 3);
    for (std::size_t i = 0; i < sleeps.size(); ++i) {
        CHECK(sleeps[i] <= soar::sync::backoffCeiling(config.retry, static_cast<int>(i)));
    }
    CHECK(api->stats().retries == 3);
}

TEST_CASE("Raw server: the retry budget ends in a transient error", "[client][integration]") {
    RawHttpServer server([](const RawRequest& request, std::size_t) {
        if (request.target.find("long") != std::string::npos) {
            return RawHttpServer::answer(429, "{}", "Retry-After: 3600\r\n");
        }
        return RawHttpServer::answer(503, R"({"failed": true, "message": "maintenance"})");
    });
    auto clock = std::make_shared<ManualClock>();
    auto config = rawConfig(server.url());
    config.retry.max_attempts = 3;
    auto api = client(config, clock);
    try {
        (void)api->version();
        FAIL("no error");
    } catch (const soar::sync::TransientError& e) {
        CHECK(e.httpStatus() == 503);
        CHECK_THAT(std::string(e.what()), Catch::Contains("maintenance"));
    }
    CHECK(server.requestCount() == 3);

    // A Retry-After beyond max_retry_after is not waited for: the pass stops at once.
    try {
        (void)api->get("long", 1);
        FAIL("no error");
    } catch (const soar::sync::TransientError& e) {
        CHECK(e.retryAfter() == 3600s);
    }
    CHECK(server.requestCount() == 4);

    // The total budget bounds the waits as well.
    config.retry.max_attempts = 100;
    config.retry.max_total = 3s;
    auto bounded = client(config, clock);
    const auto before = clock->totalSlept();
    CHECK_THROWS_AS(bounded->version(), soar::sync::TransientError);
    CHECK(clock->totalSlept() - before <= 3s);
}

TEST_CASE("Raw server: a playbook run is not retried once it may have started",
          "[client][integration]") {
    RawHttpServer server([](const RawRequest&, std::size_t index) {
        if (index == 0) return RawHttpServer::answer(429, "{}", "Retry-After: 0\r\n");
        if (index == 1) return RawHttpServer::answer(500, "{}");
        return RawHttpServer::answer(200, R"({"playbook_run_id": "77", "received": true})");
    });
    auto api = client(rawConfig(server.url()));
    soar::sync::PlaybookRunRequest request;
    request.container_id = 5;
    request.playbook_name = "local/triage";
    // 429 means not applied: retried; the 500 may come after the run started: not retried.
    CHECK_THROWS_AS(api->runPlaybook(request), soar::sync::TransientError);
    CHECK(server.requestCount() == 2);
    CHECK(api->runPlaybook(request) == 77);
    const auto body = server.requests().back().body;
    CHECK_THAT(body, Catch::Contains(R"("playbook_id":"local/triage")"));
    CHECK_THAT(body, Catch::Contains(R"("run":true)"));
}

TEST_CASE("Raw server: a slow answer times out as a transient error", "[client][integration]") {
    RawHttpServer server([](const RawRequest&, std::size_t) {
        std::this_thread::sleep_for(1500ms);
        return RawHttpServer::answer(200, versionBody());
    });
    auto config = rawConfig(server.url());
    config.timeout = 300ms;
    config.retry.max_attempts = 1;
    auto api = client(config);
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(api->version(), Catch::Contains("no answer within 0.3s"));
    CHECK(std::chrono::steady_clock::now() - started < 1400ms);
}

TEST_CASE("Raw server: a closed connection and a refused one are transient",
          "[client][integration]") {
    RawHttpServer server([](const RawRequest&, std::size_t) { return std::string(); });
    auto config = rawConfig(server.url());
    config.retry.max_attempts = 2;
    auto api = client(config);
    CHECK_THROWS_AS(api->version(), soar::sync::TransientError);
    CHECK(server.requestCount() == 2);

    unsigned short closed_port = 0;
    {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        closed_port = probe.address().port();
    }
    auto refused = client(rawConfig("http://127.0.0.1:" + std::to_string(closed_port)));
    try {
        (void)refused->version();
        FAIL("no error");
    } catch (const soar::sync::TransientError& e) {
        CHECK(e.httpStatus() == 0);
        CHECK_THAT(std::string(e.what()), Catch::Contains("connection refused"));
    }
    CHECK(refused->stats().attempts == 4);
    CHECK(refused->stats().by_status.at(0) == 4);
}

TEST_CASE("Raw server: a kept-alive connection closed by the server is retried at once",
          "[client][integration]") {
    // Answers as if the connection stayed open, then closes it: the client's next request
    // goes out on a dead connection.
    RawHttpServer server([](const RawRequest&, std::size_t) {
        const std::string body = versionBody();
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    });
    auto clock = std::make_shared<ManualClock>();
    auto api = client(rawConfig(server.url()), clock);
    for (int i = 0; i < 3; ++i) CHECK(api->version() == "6.4.1.361");
    CHECK(server.requestCount() == 3);
    CHECK(clock->sleeps().empty());  // no backoff for a stale connection
    const auto stats = api->stats();
    CHECK(stats.attempts == 5);  // the 2nd and 3rd calls each met a dead connection first
    CHECK(stats.retries == 2);
    CHECK(stats.errors.empty());
}

TEST_CASE("Raw server: 401 and 403 name the instance and key, never the token",
          "[client][integration]") {
    // A hostile server echoes the token back in its message and page.
    RawHttpServer server([](const RawRequest& request, std::size_t) {
        const int status = request.target.find("container") != std::string::npos ? 403 : 401;
        return RawHttpServer::answer(
            status, std::string(R"({"failed": true, "message": "bad token )") + kToken + "\"}");
    });
    soar::test::LogCapture log("sync.client", Poco::Message::PRIO_TRACE);
    auto api = client(rawConfig(server.url()));
    const auto text401 = errorText<soar::sync::AuthError>([&] { (void)api->version(); });
    const auto text403 = errorText<soar::sync::AuthError>([&] { (void)api->get("container", 1); });
    log.end();
    CHECK_THAT(text401, Catch::StartsWith("[instance.raw] token_env: 127.0.0.1 refused the "
                                          "credentials (ph-auth-token, HTTP 401"));
    CHECK_THAT(text403,
               Catch::StartsWith("[instance.raw] token_env:") && Catch::Contains("HTTP 403"));
    CHECK_THAT(text401, !Catch::Contains(kToken) && Catch::Contains("bad token ***"));
    CHECK_THAT(text403, !Catch::Contains(kToken));
    for (const auto& line : log.lines()) CHECK_THAT(line, !Catch::Contains(kToken));
    for (const auto& request : server.requests()) {
        CHECK_THAT(request.target, !Catch::Contains(kToken));
    }
    CHECK(server.requestCount() == 2);  // credentials errors are not retried
}

TEST_CASE("Raw server: the rate limit spaces requests out", "[client][integration]") {
    RawHttpServer server(
        [](const RawRequest&, std::size_t) { return RawHttpServer::answer(200, versionBody()); });
    auto clock = std::make_shared<ManualClock>();
    auto config = rawConfig(server.url());
    config.rate_limit = 5;
    auto api = client(config, clock);
    for (int i = 0; i < 15; ++i) (void)api->version();
    // A burst of 5, then one every 200 ms on the (manual) clock.
    CHECK(clock->sleeps().size() == 10);
    CHECK(clock->totalSlept() >= 1990ms);
    CHECK(clock->totalSlept() <= 2010ms);
    CHECK(api->stats().rate_limit_wait == clock->totalSlept());
}

TEST_CASE("Client settings are checked when the client is made", "[client]") {
    auto config = rawConfig("http://127.0.0.1:1");
    config.allow_insecure_http = false;
    CHECK_THROWS_WITH(client(config), Catch::StartsWith("[instance.raw] url: http://127.0.0.1:1 "
                                                        "is plain http"));
    config.url = "ftp://host";
    CHECK_THROWS_WITH(client(config), Catch::StartsWith("[instance.raw] url: expected https://"));
    config.url = "https://admin:pw@host";
    CHECK_THROWS_WITH(client(config), Catch::Contains("credentials in the url"));
    config.url = "https://host";
    config.connections = 0;
    CHECK_THROWS_WITH(client(config), Catch::StartsWith("[instance.raw] connections:"));
    config.connections = 2;
    config.ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_WITH(client(config), Catch::StartsWith("[instance.raw] ca_file:"));
    config.ca_file.clear();
    CHECK_THROWS_AS(PocoSoarApi::create(config, Credentials{}, nullptr), soar::sync::ConfigError);
    CHECK_NOTHROW(client(config));
}
