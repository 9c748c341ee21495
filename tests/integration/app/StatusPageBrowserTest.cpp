/// The status page as a person sees it: a real StatusServer on 127.0.0.1:0 over a fixed
/// StatusSource, loaded by Debian's headless Chromium as a child process (`--dump-dom` for the
/// document after the browser parsed it, `--screenshot` for the pixels); and `/dead-letters`
/// over HTTP with and without the bearer token.

#include "soar/app/StatusServer.h"
#include "support/CapturingChannel.h"
#include "support/ChildProcess.h"
#include "support/HttpGet.h"
#include "support/TempDir.h"

#include <Poco/AutoPtr.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using soar::test::httpGet;

using namespace std::chrono_literals;

const std::string kChromium = "/usr/bin/chromium";

/// A StatusSource that answers one fixed snapshot.
class FixedStatusSource : public soar::app::StatusSource {
public:
    explicit FixedStatusSource(soar::app::StatusSnapshot snapshot)
        : snapshot_(std::move(snapshot)) {}
    [[nodiscard]] soar::app::StatusSnapshot snapshot() const override { return snapshot_; }
    [[nodiscard]] bool storeOpens() const override { return true; }

private:
    soar::app::StatusSnapshot snapshot_;
};

/// A route with two targets: `dr` in step but with a dead letter the target refused, `lab`
/// failing on its credentials while a pass is under way.
soar::app::StatusSnapshot troubledSnapshot() {
    using namespace soar;
    app::StatusSnapshot s;
    s.version = "0.1.0";
    s.started_at = "2024-05-01T09:00:00.000000Z";
    s.now = "2024-05-01T10:00:00.000000Z";
    s.live = true;
    app::RouteView route;
    route.name = "hq-to-dr";
    route.source = "hq";
    route.source_url = "https://soar-hq.example.com";

    app::TargetView dr;
    dr.target = "dr";
    dr.url = "https://soar-dr.example.com";
    dr.stored.last_pass = state::PassRecord{
        "2024-05-01T09:59:40.000000Z", "2024-05-01T09:59:48.000000Z", "errors", {}};
    dr.stored.last_pass->counts.containers_created = 12;
    dr.stored.last_pass->counts.artifacts_created = 36;
    dr.stored.last_pass->counts.errors = 1;
    dr.stored.cursors.push_back(
        {state::Stream::ContainersCreated, "2024-05-01T09:59:30.000000Z", 310});
    dr.stored.mappings = {299, 897, 40};
    dr.stored.dead_letters = 1;
    state::DeadLetter letter;
    letter.kind = state::RecordKind::Container;
    letter.source_id = 4711;
    letter.attempts = 3;
    letter.first_seen = "2024-05-01T09:20:00.000000Z";
    letter.last_seen = "2024-05-01T09:59:45.000000Z";
    letter.message = "unknown label 'phishing'";
    dr.dead_letters = {letter};
    dr.stored.playbook_runs[state::RunStatus::Success] = 12;
    dr.runtime.passes = 7;
    dr.runtime.last_outcome = "errors";
    dr.lag_seconds = 20.0;
    dr.last_good_pass = "2024-05-01T09:59:40.000000Z";

    app::TargetView lab;
    lab.target = "lab";
    lab.url = "https://soar-lab.example.com";
    lab.stored.health.failing_since = "2024-05-01T09:45:00.000000Z";
    lab.stored.health.last_error_at = "2024-05-01T09:59:58.000000Z";
    lab.stored.health.last_error =
        "[instance.lab] the target refused the token (401): check token_env";
    lab.runtime.errors["failing"] = 4;
    sync::LiveStatus live;
    live.running = true;
    live.activity = "walking create_time";
    live.started_at = "2024-05-01T09:59:50.000000Z";
    live.seen = 1234;
    live.total = 5000;
    lab.runtime.live = live;

    route.targets = {dr, lab};
    s.routes.push_back(route);
    return s;
}

/// Runs headless Chromium with `args` and the given URL; returns what it wrote on stdout.
/// FAILs the test when Chromium is missing, does not finish in time, or exits non-zero.
std::string runChromium(const soar::test::TempDir& dir, std::vector<std::string> args,
                        const std::string& url) {
    if (!std::filesystem::exists(kChromium)) {
        FAIL("headless Chromium is not installed (" + kChromium +
             "); packaging/install-deps.sh installs it (Debian package chromium)");
    }
    std::vector<std::string> all = {"--headless=new",
                                    "--no-sandbox",
                                    "--disable-gpu",
                                    "--disable-dev-shm-usage",
                                    "--no-first-run",
                                    "--disable-background-networking",
                                    "--disable-component-update",
                                    "--user-data-dir=" + (dir.path() / "profile").string()};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back(url);
    const auto out = dir.path() / "chromium.out";
    const auto err = dir.path() / "chromium.err";
    soar::test::ChildProcess chromium(kChromium, all, out, err);
    const auto rc = chromium.wait(90s);
    if (!rc) {
        chromium.kill();
        FAIL("chromium did not finish within 90 s; its stderr:\n" + chromium.err());
    }
    INFO("chromium stderr:\n" << chromium.err());
    REQUIRE(*rc == 0);
    return chromium.out();
}

/// A status server's settings on 127.0.0.1, any free port, with the token in `token_file`.
soar::app::HttpConfig loopback(const std::string& token_file = "") {
    soar::app::HttpConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.token_file = token_file;
    return config;
}

}  // namespace

TEST_CASE("a browser shows the banner, the route and the dead letter with its message",
          "[integration][browser]") {
    FixedStatusSource source(troubledSnapshot());
    soar::app::StatusServer server(loopback(), source);
    server.start();
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    soar::test::TempDir dir;

    SECTION("the rendered document") {
        const auto dom = runChromium(dir, {"--dump-dom"}, url);
        INFO("DOM:\n" << dom);
        // The banner: failing, and which target and why.
        CHECK_THAT(dom, Catch::Contains("<div class=\"banner failing\""));
        CHECK_THAT(dom, Catch::Contains("Failing</h2>"));
        CHECK_THAT(
            dom, Catch::Contains("hq-to-dr -&gt; lab: failing: [instance.lab] the target refused"));
        // The route, its source and each target's row with its state.
        CHECK_THAT(dom, Catch::Contains("<h2>hq-to-dr</h2>"));
        CHECK_THAT(dom, Catch::Contains("https://soar-hq.example.com"));
        CHECK_THAT(dom, Catch::Contains("<div class=\"name\">dr</div>"));
        CHECK_THAT(dom, Catch::Contains("<div class=\"name\">lab</div>"));
        CHECK_THAT(dom, Catch::Contains(">failing</span>"));
        // The running pass's progress.
        CHECK_THAT(dom, Catch::Contains("1,234 / 5,000 (24%), ETA 31 s"));
        // The dead letter, its message and what to do about it.
        CHECK_THAT(dom, Catch::Contains("Dead letters on dr (1)"));
        CHECK_THAT(dom, Catch::Contains("unknown label 'phishing'"));
        CHECK_THAT(dom, Catch::Contains("soar-sync retry-dead --route hq-to-dr"));
        // Times relative to the snapshot's now, absolute in the tooltip.
        CHECK_THAT(dom, Catch::Contains("title=\"2024-05-01 09:59:48 UTC\">12 s ago</time>"));
    }

    SECTION("a screenshot") {
        const auto png = dir.path() / "status-page.png";
        // Under load Chromium now and then exits 0 without writing the file: a few tries.
        for (int attempt = 0; attempt < 3 && !std::filesystem::exists(png); ++attempt) {
            (void)runChromium(
                dir,
                {"--hide-scrollbars", "--window-size=1280,900", "--screenshot=" + png.string()},
                url);
        }
        REQUIRE(std::filesystem::exists(png));
        // A blank 1280x900 page compresses to a few KB; the rendered page is far larger.
        CHECK(std::filesystem::file_size(png) > 20'000);
        std::ifstream in(png, std::ios::binary);
        std::string magic(8, '\0');
        in.read(magic.data(), 8);
        CHECK(magic == "\x89PNG\r\n\x1a\n");
    }
}

TEST_CASE("/dead-letters answers the dead letters as JSON, behind the token like /status",
          "[integration][status]") {
    FixedStatusSource source(troubledSnapshot());
    soar::test::TempDir dir;
    const auto token_file = dir.path() / "token";
    std::ofstream(token_file) << "page-tok-3f9a-7c21d0e5\n";
    soar::app::StatusServer server(loopback(token_file.string()), source);
    server.start();

    CHECK(httpGet(server.port(), "/dead-letters").status == 401);
    const auto answer = httpGet(server.port(), "/dead-letters", "page-tok-3f9a-7c21d0e5");
    REQUIRE(answer.status == 200);
    const auto root = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
    CHECK(root->getValue<int>("total") == 1);
    const auto letter = root->getArray("dead_letters")->getObject(0);
    CHECK(letter->getValue<std::string>("route") == "hq-to-dr");
    CHECK(letter->getValue<std::string>("target") == "dr");
    CHECK(letter->getValue<int>("source_id") == 4711);
    CHECK(letter->getValue<std::string>("message") == "unknown label 'phishing'");
    CHECK_THAT(httpGet(server.port(), "/nope", "page-tok-3f9a-7c21d0e5").body,
               Catch::Contains("/dead-letters"));
    CHECK(answer.cache_control == "no-store");
    CHECK(answer.content_type_options == "nosniff");
    // A page served under another name (DNS rebinding) gets nothing, even with the token.
    const auto rebound =
        httpGet(server.port(), "/dead-letters", "page-tok-3f9a-7c21d0e5", "evil.example:80");
    CHECK(rebound.status == 421);
    CHECK_THAT(rebound.body, !Catch::Contains("phishing"));
    CHECK(httpGet(server.port(), "/healthz", "", "evil.example").status == 200);
    CHECK(httpGet(server.port(), "/dead-letters", "page-tok-3f9a-7c21d0e5", "localhost:1").status ==
          200);
}

TEST_CASE("idle and slow clients cannot keep the status server from answering /healthz",
          "[integration][status]") {
    FixedStatusSource source(troubledSnapshot());
    soar::app::StatusServer server(loopback(), source);
    server.start();
    // 24 connections that never finish a request head: idle ones, and slow ones that send a
    // byte of a header every second (so no single read times out).
    std::vector<Poco::Net::StreamSocket> attackers;
    for (int i = 0; i < 24; ++i) {
        Poco::Net::StreamSocket socket;
        socket.connect(Poco::Net::SocketAddress("127.0.0.1", server.port()));
        if (i % 2 == 1) (void)socket.sendBytes("GET /status HTTP/1.1\r\nX: ", 25);
        attackers.push_back(socket);
    }
    std::atomic<bool> dribbling{true};
    std::thread dribble([&] {
        while (dribbling) {
            for (std::size_t i = 1; i < attackers.size(); i += 2) {
                try {
                    (void)attackers[i].sendBytes("x", 1);
                } catch (const Poco::Exception&) {  // NOLINT(bugprone-empty-catch)
                }
            }
            std::this_thread::sleep_for(1s);
        }
    });
    // From the same address /healthz is answered once the head deadline (5 s) has passed,
    // within seconds (20 s leaves room for a slow sanitizer build); the old server's 4
    // threads stayed blocked for 60 s.
    const auto started = std::chrono::steady_clock::now();
    int status = 0;
    while (status != 200 && std::chrono::steady_clock::now() - started < 30s) {
        try {
            status = httpGet(server.port(), "/healthz").status;
        } catch (const Poco::Exception&) {
            std::this_thread::sleep_for(200ms);  // refused at accept: the address holds enough
        }
    }
    CHECK(status == 200);
    CHECK(std::chrono::steady_clock::now() - started < 20s);
    const auto metrics = httpGet(server.port(), "/metrics").body;
    dribbling = false;
    dribble.join();
    CHECK_THAT(metrics, Catch::Contains("soar_sync_http_connections_refused_total"));
    CHECK_THAT(metrics, !Catch::Contains("soar_sync_http_slow_connections_total 0\n"));
}

TEST_CASE("refused status tokens are logged with the address, counted, and rate-limited",
          "[integration][status]") {
    FixedStatusSource source(troubledSnapshot());
    soar::test::TempDir dir;
    const auto token_file = dir.path() / "token";
    const std::string token = "rate-limit-token-5e8d1c";
    std::ofstream(token_file) << token << "\n";
    soar::app::StatusServer server(loopback(token_file.string()), source);
    server.start();
    soar::test::LogCapture log("app.http");

    for (int i = 0; i < 3; ++i)
        CHECK(httpGet(server.port(), "/status", "guess-" + std::to_string(i)).status == 401);
    const auto metrics = httpGet(server.port(), "/metrics", token);
    CHECK(metrics.status == 200);
    CHECK_THAT(metrics.body, Catch::Contains("soar_sync_http_auth_failures_total 3\n"));
    for (int i = 0; i < 7; ++i) (void)httpGet(server.port(), "/status", "guess");
    // The eleventh refusal within a minute: the address is blocked, the right token included.
    CHECK(httpGet(server.port(), "/status", "guess").status == 429);
    CHECK(httpGet(server.port(), "/status", token).status == 429);
    log.end();
    const auto lines = log.lines();
    REQUIRE(lines.size() == 1);  // once per address and minute
    CHECK_THAT(lines[0], Catch::Contains("refused authentication from 127.0.0.1 for /status") &&
                             !Catch::Contains("guess"));
}
