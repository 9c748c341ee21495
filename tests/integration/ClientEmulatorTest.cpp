// PocoSoarApi against soar-emulator over real HTTP and HTTPS on loopback.

#include "soar/client/Errors.h"
#include "soar/client/Paging.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/emulator/Emulator.h"
#include "support/CapturingChannel.h"
#include "support/ChildProcess.h"
#include "support/TempDir.h"
#include "support/TestCertificate.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <mutex>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::sync::AuthScheme;
using soar::sync::Credentials;
using soar::sync::InstanceConfig;
using soar::sync::KeysetCursor;
using soar::sync::ManualClock;
using soar::sync::PocoSoarApi;
using soar::sync::PyValue;
using soar::sync::Query;
using soar::sync::Record;
using soar::sync::Secret;

namespace {

InstanceConfig emulatorConfig(const Emulator& emulator) {
    InstanceConfig config;
    config.name = "emu";
    config.url = emulator.baseUrl();
    config.allow_insecure_http = true;
    config.token_env = "SOAR_EMU_TOKEN";
    config.timeout = 10s;
    config.connections = 2;
    return config;
}

Credentials token(const std::string& value = "test-token") {
    return Credentials{"", Secret(value), "token_env"};
}

std::unique_ptr<PocoSoarApi> client(const InstanceConfig& config, Credentials credentials = token(),
                                    std::shared_ptr<soar::sync::Clock> clock = nullptr) {
    return PocoSoarApi::create(config, std::move(credentials),
                               clock ? std::move(clock) : std::make_shared<ManualClock>(), 7);
}

Poco::JSON::Object::Ptr json(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

using soar::test::CapturingChannel;

std::size_t heapInUse() { return mallinfo2().uordblks; }

}  // namespace

TEST_CASE("Emulator: every auth scheme over HTTP", "[client][integration]") {
    Emulator emulator(EmulatorOptions{});
    auto config = emulatorConfig(emulator);
    SECTION("ph-auth-token") { CHECK_FALSE(client(config)->version().empty()); }
    SECTION("bearer") {
        config.auth = AuthScheme::Bearer;
        CHECK_FALSE(client(config)->version().empty());
    }
    SECTION("basic with user and password") {
        config.auth = AuthScheme::Basic;
        CHECK_FALSE(client(config, Credentials{"admin", Secret("password"), "password_env"})
                        ->version()
                        .empty());
    }
    SECTION("basic with the token as password") {
        config.auth = AuthScheme::Basic;
        CHECK_FALSE(client(config)->version().empty());
    }
}

TEST_CASE("Emulator: a wrong secret is an auth error naming instance and key",
          "[client][integration]") {
    Emulator emulator(EmulatorOptions{});
    auto config = emulatorConfig(emulator);
    config.token_file = "/etc/soar-sync/emu.token";
    try {
        (void)client(config, Credentials{"", Secret("wrong-token-xyz"), "token_file"})->version();
        FAIL("no error");
    } catch (const soar::sync::AuthError& e) {
        CHECK(e.httpStatus() == 401);
        CHECK_THAT(std::string(e.what()), Catch::StartsWith("[instance.emu] token_file: "));
        CHECK_THAT(std::string(e.what()), !Catch::Contains("wrong-token-xyz"));
    }
    config.auth = AuthScheme::Basic;
    CHECK_THROWS_WITH(
        client(config, Credentials{"admin", Secret("nope"), "password_env"})->version(),
        Catch::StartsWith("[instance.emu] password_env: ") && !Catch::Contains("nope"));
    CHECK(emulator.requestCount() == 2);  // not retried
}

TEST_CASE("Emulator: a token DELETE is a 403 auth error, while a user may delete",
          "[client][integration]") {
    EmulatorOptions options;
    options.containers = 2;
    Emulator emulator(options);
    auto config = emulatorConfig(emulator);
    auto api = client(config);
    try {
        (void)api->remove("container", 1);
        FAIL("no error");
    } catch (const soar::sync::AuthError& e) {
        CHECK(e.httpStatus() == 403);
        const std::string text = e.what();
        CHECK_THAT(text, Catch::StartsWith("[instance.emu] token_env: 127.0.0.1 denied DELETE "
                                           "/rest/container/1 (ph-auth-token, HTTP 403: "));
        CHECK_THAT(text, Catch::Contains("lacks the permission") && !Catch::Contains("test-token"));
    }
    config.auth = AuthScheme::Basic;
    auto user = client(config, Credentials{"admin", Secret("password"), "password_env"});
    CHECK(user->remove("container", 1));
    CHECK_FALSE(user->remove("container", 1));
    CHECK(emulator.containerCount() == 1);
}

TEST_CASE("Emulator: TLS is verified against ca_file", "[client][integration]") {
    soar::test::TestCertificate certificate;
    EmulatorOptions options;
    options.tls_cert = certificate.certFile().string();
    options.tls_key = certificate.keyFile().string();
    Emulator emulator(options);
    REQUIRE(emulator.secure());
    auto config = emulatorConfig(emulator);
    config.allow_insecure_http = false;

    SECTION("refused with the system CAs") {
        auto api = client(config);
        try {
            (void)api->version();
            FAIL("no error");
        } catch (const soar::sync::TlsError& e) {
            const std::string text = e.what();
            WARN(text);
            CHECK_THAT(text, Catch::StartsWith("[instance.emu] GET /rest/version (127.0.0.1:"));
            CHECK_THAT(text, Catch::Contains("TLS handshake with 127.0.0.1 failed"));
            CHECK_THAT(text, Catch::Contains("certificate verify failed") ||
                                 Catch::Contains("unable to get local issuer"));
        }
        CHECK(api->stats().attempts == 1);  // not retried
    }
    SECTION("refused with another CA") {
        soar::test::TestCertificate other;
        config.ca_file = other.caFile().string();
        CHECK_THROWS_AS(client(config)->version(), soar::sync::TlsError);
    }
    SECTION("accepted with ca_file") {
        config.ca_file = certificate.caFile().string();
        auto api = client(config);
        CHECK_FALSE(api->version().empty());
        CHECK_FALSE(api->version().empty());  // a reused keep-alive session
    }
    SECTION("accepted without verification, with one warning") {
        soar::test::LogCapture log("sync.client");
        config.verify_tls = false;
        auto api = client(config);
        CHECK_FALSE(api->version().empty());
        CHECK_FALSE(api->version().empty());
        log.end();
        const auto lines = log.lines();
        REQUIRE(lines.size() == 1);
        CHECK_THAT(lines[0], Catch::Contains("[instance.emu] verify_tls = false"));
    }
}

TEST_CASE("Emulator: TLS checks the host name on loopback too, and offers strong suites only",
          "[client][integration]") {
    // The TLS error of one call, empty when the call succeeds.
    const auto tlsError = [](const Emulator& emulator, const std::string& host,
                             const std::string& ca, int min_tls_minor) {
        auto config = emulatorConfig(emulator);
        config.allow_insecure_http = false;
        config.url = "https://" + host + ":" + std::to_string(emulator.port());
        config.ca_file = ca;
        config.min_tls_minor = min_tls_minor;
        try {
            (void)client(config)->version();
            return std::string();
        } catch (const soar::sync::TlsError& e) {
            return std::string(e.what());
        }
    };
    SECTION("a certificate for another name is refused on 127.0.0.1 and localhost") {
        soar::test::TestCertificate certificate("DNS:soar.example");
        EmulatorOptions options;
        options.tls_cert = certificate.certFile().string();
        options.tls_key = certificate.keyFile().string();
        Emulator emulator(options);
        const auto ca = certificate.caFile().string();
        CHECK_THAT(tlsError(emulator, "127.0.0.1", ca, 2), Catch::Contains("127.0.0.1"));
        CHECK_THAT(tlsError(emulator, "localhost", ca, 2), Catch::Contains("localhost"));
    }
    soar::test::TestCertificate certificate;
    EmulatorOptions options;
    options.tls_cert = certificate.certFile().string();
    options.tls_key = certificate.keyFile().string();
    const auto ca = certificate.caFile().string();
    SECTION("localhost is accepted when the certificate names it") {
        Emulator emulator(options);
        CHECK(tlsError(emulator, "localhost", ca, 2).empty());
    }
    SECTION("a TLS 1.2 server with static-RSA or CBC suites only is refused") {
        options.tls13 = false;
        options.tls_ciphers = "AES128-SHA:AES256-SHA:AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA";
        Emulator emulator(options);
        CHECK_FALSE(tlsError(emulator, "127.0.0.1", ca, 2).empty());
    }
    SECTION("a TLS 1.2 server with ECDHE and GCM is accepted, unless min_tls = 1.3") {
        options.tls13 = false;
        options.tls_ciphers = "ECDHE-RSA-AES128-GCM-SHA256";
        Emulator emulator(options);
        CHECK(tlsError(emulator, "127.0.0.1", ca, 2).empty());
        CHECK_FALSE(tlsError(emulator, "127.0.0.1", ca, 3).empty());
    }
    SECTION("a TLS 1.3 server is accepted with min_tls = 1.3") {
        Emulator emulator(options);
        CHECK(tlsError(emulator, "127.0.0.1", ca, 3).empty());
    }
}

TEST_CASE("Emulator: retries under --fail-rate and --throttle-rate", "[client][integration]") {
    EmulatorOptions options;
    options.seed = 11;
    options.containers = 20;
    Emulator emulator(options);
    auto clock = std::make_shared<ManualClock>();
    auto config = emulatorConfig(emulator);
    config.retry.max_attempts = 12;
    constexpr int kCalls = 200;

    SECTION("500s") {
        emulator.setFaults(0.3, 0, 0);
        auto api = client(config, token(), clock);
        for (int i = 0; i < kCalls; ++i) {
            REQUIRE(api->get("container", 1 + i % 20));
        }
        const auto stats = api->stats();
        WARN("fail_rate 0.3: " << kCalls << " calls took " << stats.attempts << " attempts, "
                               << stats.retries << " retries, " << stats.by_status.at(500)
                               << " answers 500");
        CHECK(stats.calls == kCalls);
        CHECK(stats.attempts == emulator.requestCount());
        CHECK(stats.attempts == kCalls + stats.retries);
        CHECK(stats.retries == stats.by_status.at(500));
        CHECK(stats.by_status.at(200) == kCalls);
        // Roughly calls / (1 - 0.3) attempts.
        CHECK(stats.attempts > kCalls * 125 / 100);
        CHECK(stats.attempts < kCalls * 165 / 100);
        CHECK(clock->sleeps().size() == stats.retries);
    }
    SECTION("429 with Retry-After") {
        emulator.setFaults(0, 0.3, 0);
        auto api = client(config, token(), clock);
        for (int i = 0; i < kCalls; ++i) {
            REQUIRE(api->get("container", 1 + i % 20));
        }
        const auto stats = api->stats();
        WARN("throttle_rate 0.3: " << kCalls << " calls took " << stats.attempts << " attempts, "
                                   << stats.retries << " retries");
        CHECK(stats.attempts == emulator.requestCount());
        CHECK(stats.retries == stats.by_status.at(429));
        CHECK(stats.attempts == kCalls + stats.retries);
        // Every wait is the server's Retry-After: 1.
        for (const auto& sleep : clock->sleeps()) CHECK(sleep == 1s);
        CHECK(clock->sleeps().size() == stats.retries);
    }
}

TEST_CASE("Emulator: one client shared by many threads", "[client][integration]") {
    EmulatorOptions options;
    options.seed = 2;
    options.containers = 50;
    options.latency_ms = 2;
    Emulator emulator(options);
    auto config = emulatorConfig(emulator);
    config.connections = 3;
    auto api = client(config);
    constexpr int kThreads = 8;
    constexpr int kCalls = 40;
    std::atomic<int> found{0};
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            try {
                for (int i = 0; i < kCalls; ++i) {
                    if (api->get("container", 1 + (t * kCalls + i) % 50)) ++found;
                }
            } catch (...) {
                errors[static_cast<std::size_t>(t)] = std::current_exception();
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& error : errors) {
        if (error) std::rethrow_exception(error);
    }
    CHECK(found == kThreads * kCalls);
    const auto stats = api->stats();
    CHECK(stats.calls == kThreads * kCalls);
    CHECK(stats.attempts == emulator.requestCount());
}

TEST_CASE("Emulator: filter values with quotes, backslashes, spaces, unicode and lists",
          "[client][integration]") {
    Emulator emulator(EmulatorOptions{});
    const std::vector<std::string> names = {"it's \"quoted\"",
                                            "back\\slash\\",
                                            "with  two spaces",
                                            "Zürich ✓ 日本",
                                            "[brackets], commas & ampersands=equals?",
                                            "tab\there",
                                            "percent %41 plus+"};
    std::vector<std::int64_t> ids;
    for (const auto& name : names) {
        Poco::JSON::Object body;
        body.set("name", name);
        body.set("label", "events");
        std::ostringstream text;
        body.stringify(text);
        ids.push_back(emulator.createContainer(text.str()));
    }
    // Decoys that a sloppy encoder would match.
    (void)emulator.createContainer(R"({"name": "it's ", "label": "events"})");
    (void)emulator.createContainer(R"({"name": "back", "label": "events"})");

    CHECK(Query().exact("name", names[0]).pageSize(10).toQueryString(0) ==
          "page=0&page_size=10&_filter_name=%22it%27s%20%5C%22quoted%5C%22%22");

    auto api = client(emulatorConfig(emulator));
    for (std::size_t i = 0; i < names.size(); ++i) {
        INFO(names[i]);
        const auto page =
            api->listPage("container", Query().exact("name", names[i]).pageSize(10), 0);
        REQUIRE(page.records.size() == 1);
        CHECK(page.records[0]->getValue<std::int64_t>("id") == ids[i]);
        CHECK(page.records[0]->getValue<std::string>("name") == names[i]);
    }
    std::vector<PyValue> all(names.begin(), names.end());
    const auto page =
        api->listPage("container", Query().in("name", all).sort("id").pageSize(50), 0);
    REQUIRE(page.records.size() == names.size());
    const auto ints =
        api->listPage("container", Query().in("id", {ids[1], ids[3]}).sort("id").pageSize(50), 0);
    REQUIRE(ints.records.size() == 2);
    CHECK(ints.records[1]->getValue<std::int64_t>("id") == ids[3]);
    const auto raw = api->listPage(
        "container", Query().raw("_filter_name__startswith=\"Zürich\"").pageSize(10), 0);
    CHECK(raw.records.size() == 1);
}

TEST_CASE("Emulator: a timestamp tie larger than the page is walked without a miss or a repeat",
          "[client][integration]") {
    EmulatorOptions options;
    options.seed = 3;
    options.containers = 1500;  // three groups of 512 equal create_times, and a rest
    options.coarse_time = true;
    Emulator emulator(options);
    auto api = client(emulatorConfig(emulator));
    std::set<std::int64_t> seen;
    std::size_t repeats = 0;
    const auto result =
        soar::sync::keysetWalk(*api, "container", "create_time", Query().pageSize(100), {},
                               [&](const Record& record, const KeysetCursor&) {
                                   if (!seen.insert(record->getValue<std::int64_t>("id")).second)
                                       ++repeats;
                                   return true;
                               });
    WARN("coarse_time walk: " << result.records << " records in " << result.requests
                              << " requests");
    CHECK(repeats == 0);
    CHECK(seen.size() == 1500);
    CHECK(*seen.begin() == 1);
    CHECK(*seen.rbegin() == 1500);

    // Nothing new: one request, nothing yielded.
    const auto idle =
        soar::sync::keysetWalk(*api, "container", "create_time", Query().pageSize(100), result.end,
                               [](const Record&, const KeysetCursor&) { return true; });
    CHECK(idle.records == 0);
    CHECK(idle.requests == 1);
}

TEST_CASE("Emulator: never-edited containers with a null update time are found by create_time",
          "[client][integration]") {
    EmulatorOptions options;
    options.seed = 5;
    options.containers = 300;
    options.null_update_time = true;
    Emulator emulator(options);
    auto api = client(emulatorConfig(emulator));
    const auto walkIds = [&](const std::string& field) {
        std::set<std::int64_t> ids;
        (void)soar::sync::keysetWalk(*api, "container", field, Query().pageSize(50), {},
                                     [&](const Record& record, const KeysetCursor&) {
                                         ids.insert(record->getValue<std::int64_t>("id"));
                                         return true;
                                     });
        return ids;
    };
    const auto edited = walkIds("container_update_time");
    const auto created = walkIds("create_time");
    WARN("null_update_time: " << edited.size() << " of 300 edited");
    CHECK(created.size() == 300);
    CHECK(edited.size() < 300);
    CHECK_FALSE(edited.empty());
    for (const auto id : edited) CHECK(created.count(id) == 1);
}

TEST_CASE("Emulator: 20,000 records stream with memory that does not grow with the count",
          "[client][integration]") {
    EmulatorOptions options;
    options.seed = 1;
    options.containers = 20000;
    options.artifacts = 0;
    Emulator emulator(options);
    auto config = emulatorConfig(emulator);
    config.connections = 1;
    auto api = client(config);

    const auto walk = [&](std::size_t limit, std::vector<bool>& seen, std::size_t& peak) {
        const std::size_t base = heapInUse();
        peak = 0;
        std::size_t count = 0;
        const auto result = soar::sync::keysetWalk(
            *api, "container", "create_time", Query().pageSize(500), {},
            [&](const Record& record, const KeysetCursor&) {
                const auto id = static_cast<std::size_t>(record->getValue<std::int64_t>("id"));
                if (id < seen.size()) seen[id] = true;
                peak = std::max(peak, heapInUse() - std::min(heapInUse(), base));
                return ++count < limit;
            });
        return result;
    };
    std::vector<bool> seen_small(20001), seen_all(20001);
    std::size_t peak_small = 0, peak_all = 0;
    const auto small = walk(2000, seen_small, peak_small);
    const auto all = walk(20000, seen_all, peak_all);
    WARN("keyset walk, page_size 500: 2,000 records -> peak heap +"
         << peak_small / 1024 << " KiB in " << small.requests << " requests; 20,000 records -> +"
         << peak_all / 1024 << " KiB in " << all.requests << " requests");
    CHECK(small.records == 2000);
    CHECK(all.records == 20000);
    CHECK(std::count(seen_all.begin() + 1, seen_all.end(), true) == 20000);
    if (peak_small > 0) {  // mallinfo2 reports nothing under the sanitizers' allocator
        // Ten times the records, not ten times the memory: one page at a time.
        CHECK(peak_all < peak_small * 2 + 1024 * 1024);
    }
}

TEST_CASE("Emulator: typed calls for containers, artifacts, notes and playbooks",
          "[client][integration]") {
    EmulatorOptions options;
    options.playbooks = {{"local", "triage", "success", 0.2}, {"local", "slow", "success", 30}};
    Emulator emulator(options);
    auto api = client(emulatorConfig(emulator), token(), soar::sync::SystemClock::instance());

    const auto container = json(R"({"name": "c1", "label": "events", "severity": "high",
        "source_data_identifier": "soar-sync:hq:1", "run_automation": false})");
    const auto created = api->createContainer(*container);
    CHECK_FALSE(created.existed);
    const auto again = api->createContainer(*container);
    CHECK(again == soar::sync::CreateResult{created.id, true});

    api->updateContainer(created.id, *json(R"({"status": "open"})"));
    const auto record = api->get("container", created.id);
    REQUIRE(record);
    CHECK((*record)->getValue<std::string>("status") == "open");
    CHECK_FALSE(api->get("container", 999999));

    try {
        (void)api->createContainer(*json(R"({"name": "c2", "label": "foobar"})"));
        FAIL("no error");
    } catch (const soar::sync::RecordError& e) {
        CHECK(e.httpStatus() == 400);
        CHECK_THAT(e.serverMessage(), Catch::Contains("foobar"));
    }

    auto artifact = json(R"({"name": "a1", "cef": {"sourceAddress": "10.0.0.1"},
        "source_data_identifier": "soar-sync:hq:artifact:1", "run_automation": false})");
    artifact->set("container_id", created.id);
    const auto a1 = api->createArtifact(*artifact);
    CHECK_FALSE(a1.existed);
    CHECK(api->createArtifact(*artifact) == soar::sync::CreateResult{a1.id, true});
    Poco::JSON::Array batch;
    for (int i = 2; i <= 4; ++i) {
        auto item = json(R"({"name": "batch", "run_automation": false})");
        item->set("container_id", created.id);
        Poco::JSON::Object::Ptr cef = new Poco::JSON::Object;
        cef->set("n", i);
        item->set("cef", cef);
        batch.add(item);
    }
    batch.add(artifact);  // a duplicate inside a batch
    const auto results = api->createArtifacts(batch);
    REQUIRE(results.size() == 4);
    CHECK(results[0].ok());
    CHECK_FALSE(results[0].existed);
    CHECK(results[3].existed);
    CHECK(results[3].id == a1.id);
    api->updateArtifact(a1.id, *json(R"({"name": "renamed"})"));

    std::size_t artifacts = 0;
    (void)soar::sync::forEachPage(*api, "artifact",
                                  Query().exact("container", created.id).sort("id").pageSize(2),
                                  [&](const soar::sync::Page& page) {
                                      artifacts += page.records.size();
                                      return true;
                                  });
    CHECK(artifacts == 4);
    const auto sub = api->listPage("container/" + std::to_string(created.id) + "/artifacts",
                                   Query().pageSize(10), 0);
    CHECK(sub.records.size() == 4);

    auto note = json(R"({"title": "t", "content": "c", "note_type": "general"})");
    note->set("container_id", created.id);
    CHECK(api->createNote(*note).id > 0);
    auto comment = json(R"({"comment": "hello"})");
    comment->set("container_id", created.id);
    CHECK(api->createComment(*comment).id > 0);
    CHECK(emulator.noteCount() == 1);
    CHECK(emulator.commentCount() == 1);

    const auto triage = api->findPlaybook("local/triage");
    REQUIRE(triage);
    CHECK(triage->name == "triage");
    CHECK(api->findPlaybook("triage")->id == triage->id);
    CHECK(api->findPlaybook(std::to_string(triage->id))->name == "triage");
    CHECK_FALSE(api->findPlaybook("local/nope"));
    CHECK_FALSE(api->findPlaybook("community/triage"));
    CHECK_FALSE(api->findPlaybook("424242"));

    soar::sync::PlaybookRunRequest run;
    run.container_id = created.id;
    run.playbook_id = triage->id;
    const auto run_id = api->runPlaybook(run);
    auto status = api->playbookRun(run_id);
    CHECK(status.id == run_id);
    for (int i = 0; i < 50 && !status.outcome; ++i) {
        std::this_thread::sleep_for(100ms);
        status = api->playbookRun(run_id);
    }
    CHECK(status.status == "success");

    run.playbook_id.reset();
    run.playbook_name = "local/slow";
    const auto slow = api->runPlaybook(run);
    CHECK(api->playbookRun(slow).status == "running");
    api->cancelPlaybookRun(slow);
    const auto cancelled = api->playbookRun(slow);
    CHECK(cancelled.status == "cancelled");
    CHECK(cancelled.outcome == soar::sync::PlaybookOutcome::Cancelled);

    run.playbook_name = "local/missing";
    CHECK_THROWS_AS(api->runPlaybook(run), soar::sync::RecordError);
}

TEST_CASE("Emulator: artifacts embedded in a container create, as either answer gives them",
          "[client][integration]") {
    for (const bool ids_only : {false, true}) {
        DYNAMIC_SECTION((ids_only ? "new_artifact_ids only" : "per-item results")) {
            EmulatorOptions options;
            options.embedded_answer_ids_only = ids_only;
            Emulator emulator(options);
            auto api =
                client(emulatorConfig(emulator), token(), soar::sync::SystemClock::instance());

            auto container = json(R"({"name": "c1", "label": "events",
                "source_data_identifier": "soar-sync:hq:1", "artifacts": [
                {"name": "a", "cef": {"n": 1}, "source_data_identifier": "soar-sync:hq:artifact:1"},
                {"name": "b", "cef": {"n": 2}, "source_data_identifier": "soar-sync:hq:artifact:2"}]})");
            const auto created = api->createContainer(*container);
            CHECK_FALSE(created.existed);
            REQUIRE(created.artifacts);
            REQUIRE(created.artifacts->size() == 2);
            for (std::size_t i = 0; i < 2; ++i) {
                const auto& item = (*created.artifacts)[i];
                REQUIRE(item.ok());
                const auto record = api->get("artifact", *item.id);
                REQUIRE(record);
                CHECK((*record)->getValue<std::int64_t>("container") == created.id);
                CHECK((*record)->getValue<std::string>("source_data_identifier") ==
                      "soar-sync:hq:artifact:" + std::to_string(i + 1));
            }

            // The same container again: the duplicate answer, and no artifact made.
            const auto again = api->createContainer(*container);
            CHECK(again.existed);
            CHECK_FALSE(again.artifacts);

            // One item the server refuses: per-item results say which; ids alone cannot.
            auto mixed = json(R"({"name": "c2", "label": "events",
                "source_data_identifier": "soar-sync:hq:2", "artifacts": [
                {"name": "good", "source_data_identifier": "soar-sync:hq:artifact:3"},
                {"name": "bad", "cef": "not an object"}]})");
            const auto second = api->createContainer(*mixed);
            CHECK_FALSE(second.existed);
            if (ids_only) {
                CHECK_FALSE(second.artifacts);
            } else {
                REQUIRE(second.artifacts);
                REQUIRE(second.artifacts->size() == 2);
                CHECK((*second.artifacts)[0].ok());
                CHECK_FALSE((*second.artifacts)[1].ok());
                CHECK_FALSE((*second.artifacts)[1].error.empty());
            }
            const auto made = api->listPage("container/" + std::to_string(second.id) + "/artifacts",
                                            Query().pageSize(10), 0);
            CHECK(made.records.size() == 1);
        }
    }
}

TEST_CASE("Emulator: a rotated token_file is used without a restart, after a 401 or a change",
          "[client][integration]") {
    Emulator emulator(EmulatorOptions{});
    soar::test::TempDir dir;
    const auto file = dir.path() / "emu.token";
    std::ofstream(file) << "first-token-0001\n";
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    emulator.setToken("first-token-0001");
    auto config = emulatorConfig(emulator);
    config.token_env.clear();
    config.token_file = file.string();
    auto api = PocoSoarApi::create(config, soar::sync::loadCredentials(config),
                                   std::make_shared<ManualClock>(), 7);
    std::vector<std::string> announced;
    api->onNewSecret([&](const std::string& secret) { announced.push_back(secret); });
    CHECK_FALSE(api->version().empty());

    // The server rotates first: the next call gets a 401, reads the file again, finds the new
    // token there and succeeds with it.
    emulator.setToken("second-token-0002");
    std::ofstream(file) << "second-token-0002\n";
    CHECK_FALSE(api->version().empty());
    CHECK(announced == std::vector<std::string>{"second-token-0002"});

    // The file rotates first: it is read again when it changes (checked once a second).
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    std::ofstream(file) << "third-token-00003\n";
    emulator.setToken("third-token-00003");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    CHECK_FALSE(api->version().empty());
    CHECK(announced.size() == 2);
    CHECK(api->stats().errors.count("auth") == 0);

    // A refused token that the file does not replace stays an AuthError.
    emulator.setToken("fourth-token-0004");
    CHECK_THROWS_AS(api->version(), soar::sync::AuthError);
    // An unreadable file keeps the token in use, with a warning.
    std::ofstream(file) << "";
    CHECK_FALSE(api->reloadCredentials());
}

TEST_CASE("Emulator: a vault file is streamed down, checked, and attached on another instance",
          "[client][integration][vault]") {
    Emulator source(EmulatorOptions{});
    Emulator target(EmulatorOptions{});
    const auto from = source.createContainer(R"({"name": "with a file"})");
    const auto to = target.createContainer(R"({"name": "its copy"})");
    // 3 MiB of every byte value, over max_record_size: files do not go through that cap.
    std::string bytes(3U << 20U, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7) % 256);
    (void)source.addAttachment(from, "dump \"1\".bin", bytes);
    auto source_config = emulatorConfig(source);
    source_config.max_record_size = 64U << 10U;
    auto from_api = client(source_config);
    auto to_api = client(emulatorConfig(target));
    const auto listed = from_api->listPage(
        "container_attachment", soar::sync::Query().exact("container_id", from).pageSize(10), 0);
    REQUIRE(listed.records.size() == 1);
    const auto sha1 = listed.records[0]->getValue<std::string>("hash");

    soar::test::TempDir dir;
    const auto path = (dir.path() / "file").string();
    CHECK(from_api->downloadFile(sha1, path, 4U << 20U) == bytes.size());
    CHECK(soar::test::readWholeFile(path) == bytes);
    const auto id = to_api->attachFile(to, "dump \"1\".bin", path, sha1);
    const auto copied = to_api->listPage(
        "container_attachment", soar::sync::Query().exact("container_id", to).pageSize(10), 0);
    REQUIRE(copied.records.size() == 1);
    CHECK(copied.records[0]->getValue<std::int64_t>("id") == id);
    CHECK(copied.records[0]->getValue<std::string>("hash") == sha1);
    CHECK(copied.records[0]->getValue<std::string>("name") == "dump \"1\".bin");
    CHECK(target.direct("GET", "/rest/download_attachment?vault_id=" + sha1).body == bytes);

    // Over the limit: stopped, nothing left behind.
    CHECK_THROWS_AS(from_api->downloadFile(sha1, path, 1U << 20U), soar::sync::RecordError);
    CHECK_FALSE(std::filesystem::exists(path));
    // A file the source does not have.
    CHECK_THROWS_AS(from_api->downloadFile(std::string(40, 'a'), path, 4U << 20U),
                    soar::sync::RecordError);
    CHECK_THROWS_AS(from_api->downloadFile("../etc/passwd", path, 4U << 20U),
                    soar::sync::ProtocolError);
}
