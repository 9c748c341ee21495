#include "SyncHarness.h"
#include "soar/sync/Frontier.h"
#include "support/CapturingChannel.h"

#include <Poco/AutoPtr.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using soar::emulator::EmulatorOptions;
using soar::sync::PassOutcome;
using soar::test::mirrorProblems;
using soar::test::seeded;
using soar::test::snapshot;
using soar::test::SyncHarness;

namespace {

void requireMirror(SyncHarness& h,
                   const std::function<bool(const Poco::JSON::Object&)>& matches = nullptr) {
    const auto problems = mirrorProblems(snapshot(h.source), snapshot(h.target), h.route, matches);
    for (std::size_t i = 0; i < problems.size() && i < 10; ++i) UNSCOPED_INFO(problems[i]);
    REQUIRE(problems.empty());
}

std::int64_t total(const soar::state::PassCounts& c) {
    return c.containers_created + c.containers_updated;
}

}  // namespace

TEST_CASE("Frontier commits only up to the oldest unfinished record", "[sync][frontier]") {
    soar::sync::Frontier frontier;
    const auto a = frontier.add({"t1", 1});
    const auto b = frontier.add({"t2", 2});
    const auto c = frontier.add({"t3", 3});
    CHECK_FALSE(frontier.finish(b));
    CHECK_FALSE(frontier.finish(c));
    const auto moved = frontier.finish(a);
    REQUIRE(moved);
    CHECK(moved->timestamp == "t3");
    CHECK(frontier.pending() == 0);
    CHECK_THROWS(frontier.finish(a));
}

TEST_CASE("A full sync copies every container and artifact, across ties larger than a page",
          "[integration][route]") {
    const bool null_update_time = GENERATE(false, true);
    INFO("null_update_time = " << null_update_time);
    auto source = seeded(11, 1100, 2);  // 512 containers share each second
    source.coarse_time = true;
    source.null_update_time = null_update_time;
    EmulatorOptions target;
    target.null_update_time = null_update_time;
    auto route = soar::test::testRoute();
    route.lookback = std::chrono::milliseconds(0);  // the seeded records are all in the past
    SyncHarness h(source, target, route);

    const auto first = h.pass();
    CHECK(first.outcome == PassOutcome::Ok);
    CHECK(first.counts.containers_created == 1100);
    CHECK(first.counts.artifacts_created == 2200);
    CHECK(h.target.containerCount() == 1100);
    CHECK(h.target.artifactCount() == 2200);
    requireMirror(h);

    // Idle: one request per change stream, nothing written to the target.
    const auto source_requests = h.source.requestCount();
    const auto target_requests = h.target.requestCount();
    const auto idle = h.pass();
    CHECK(idle.outcome == PassOutcome::Ok);
    CHECK(total(idle.counts) == 0);
    CHECK(h.source.requestCount() - source_requests == 3);
    CHECK(h.target.requestCount() - target_requests == 0);
}

TEST_CASE("Edits, new containers and late artifacts reach the target", "[integration][route]") {
    SyncHarness h(seeded(3, 40, 2), EmulatorOptions{});
    REQUIRE(h.pass().outcome == PassOutcome::Ok);

    const auto snap = snapshot(h.source);
    const auto edited = snap.containers.begin()->first;
    const auto with_late_artifact = std::next(snap.containers.begin(), 5)->first;
    const auto edited_artifact = snap.artifacts.rbegin()->first;
    h.source.editContainer(edited, R"({"severity": "high", "description": "escalated"})");
    const auto added = h.source.createContainer(
        R"({"name": "new after first pass", "label": "events", "severity": "low"})");
    h.source.addArtifact(R"({"container_id": )" + std::to_string(with_late_artifact) +
                         R"(, "name": "late", "cef": {"sourceAddress": "10.9.8.7"}})");
    h.source.addArtifact(R"({"container_id": )" + std::to_string(added) +
                         R"(, "name": "first of new", "cef": {"fileHash": "abc"}})");
    REQUIRE(h.source
                .direct("POST", "/rest/artifact/" + std::to_string(edited_artifact),
                        R"({"cef": {"requestURL": "https://example.org/x"}})")
                .status == 200);

    const auto second = h.pass();
    CHECK(second.outcome == PassOutcome::Ok);
    CHECK(second.counts.containers_created == 1);
    CHECK(second.counts.containers_updated >= 1);
    CHECK(second.counts.artifacts_created == 2);
    CHECK(second.counts.artifacts_updated == 1);
    requireMirror(h);
    const auto target = snapshot(h.target);
    bool found = false;
    for (const auto& [id, copy] : target.containers) {
        if (copy->getValue<std::string>("source_data_identifier") ==
            "soar-sync:src:" + std::to_string(edited)) {
            found = true;
            CHECK(copy->getValue<std::string>("severity") == "high");
            CHECK(copy->getValue<std::string>("description") == "escalated");
        }
    }
    CHECK(found);
}

TEST_CASE("Containers changed while a pass pages are all caught by the next pass",
          "[integration][route]") {
    auto source = seeded(5, 300, 1);
    source.latency_ms = 3;
    auto route = soar::test::testRoute();
    route.page_size = 20;
    SyncHarness h(source, EmulatorOptions{}, route, 2);

    std::atomic<bool> done{false};
    std::thread writer([&] {
        int i = 0;
        const auto ids = snapshot(h.source).containers;
        auto it = ids.begin();
        while (!done.load() && i < 60) {
            if (i % 2 == 0) {
                h.source.editContainer(it->first, R"({"status": "closed"})");
                h.source.addArtifact(R"({"container_id": )" + std::to_string(it->first) +
                                     R"(, "name": "added while paging", "cef": {"n": ")" +
                                     std::to_string(i) + R"("}})");
                ++it;
            } else {
                h.source.createContainer(R"({"name": "while paging )" + std::to_string(i) +
                                         R"(", "label": "incident"})");
            }
            ++i;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    const auto during = h.pass();
    done = true;
    writer.join();
    CHECK(during.outcome == PassOutcome::Ok);
    CHECK(h.pass().outcome == PassOutcome::Ok);
    requireMirror(h);
}

TEST_CASE("Route filters select what is copied", "[integration][route]") {
    auto route = soar::test::testRoute();
    route.filters.labels = {"events"};
    route.filters.severities = {"high", "medium"};
    route.filters.statuses = {"new", "open"};
    SECTION("label, severity and status") {}
    SECTION("and a raw filter") { route.filters.raw = {R"(_filter_sensitivity="amber")"}; }
    SECTION("and a tag") { route.filters.tags = {"phishing"}; }
    SyncHarness h(seeded(21, 400, 1), EmulatorOptions{}, route);
    const auto result = h.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    const auto matches = [&](const Poco::JSON::Object& c) {
        const auto label = c.getValue<std::string>("label");
        const auto severity = c.getValue<std::string>("severity");
        const auto status = c.getValue<std::string>("status");
        bool ok = label == "events" && (severity == "high" || severity == "medium") &&
                  (status == "new" || status == "open");
        if (!route.filters.raw.empty())
            ok = ok && c.getValue<std::string>("sensitivity") == "amber";
        if (!route.filters.tags.empty()) {
            bool tagged = false;
            const auto tags = c.getArray("tags");
            for (std::size_t i = 0; tags && i < tags->size(); ++i) {
                tagged =
                    tagged || tags->getElement<std::string>(static_cast<unsigned>(i)) == "phishing";
            }
            ok = ok && tagged;
        }
        return ok;
    };
    std::size_t expected = 0;
    for (const auto& [id, c] : snapshot(h.source).containers) expected += matches(*c) ? 1U : 0U;
    REQUIRE(expected > 0);
    CHECK(h.target.containerCount() == expected);
    requireMirror(h, matches);
}

TEST_CASE("label_map and add_tags shape the copies", "[integration][route]") {
    auto route = soar::test::testRoute();
    route.label_map = {{"events", "synced_events"}};
    route.add_tags = {"synced-from-hq"};
    EmulatorOptions target;
    target.labels = {"synced_events", "incident"};
    SyncHarness h(seeded(8, 60, 1), target, route);
    CHECK(h.pass().outcome == PassOutcome::Ok);
    requireMirror(h);  // checks the mapped label and the added tag on every copy
    std::size_t mapped = 0;
    for (const auto& [id, c] : snapshot(h.target).containers) {
        mapped += c->getValue<std::string>("label") == "synced_events" ? 1U : 0U;
    }
    CHECK(mapped > 0);
}

TEST_CASE("Losing the state file duplicates nothing", "[integration][route]") {
    SyncHarness h(seeded(4, 120, 3), EmulatorOptions{});
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    const auto containers = h.target.containerCount();
    const auto artifacts = h.target.artifactCount();
    h.reopenStore(true);
    const auto again = h.pass();
    CHECK(again.outcome == PassOutcome::Ok);
    CHECK(again.counts.containers_created == 0);
    CHECK(again.counts.artifacts_created == 0);
    CHECK(h.target.containerCount() == containers);
    CHECK(h.target.artifactCount() == artifacts);
    requireMirror(h);
}

TEST_CASE("Under 10% failures and 10% throttling on both sides the sync converges",
          "[integration][route]") {
    auto source = seeded(9, 150, 2);
    source.fail_rate = 0.1;
    source.throttle_rate = 0.1;
    source.retry_after_seconds = 0;
    EmulatorOptions target;
    target.seed = 10;
    target.fail_rate = 0.1;
    target.throttle_rate = 0.1;
    target.retry_after_seconds = 0;
    SyncHarness h(source, target);
    PassOutcome outcome = PassOutcome::Interrupted;
    for (int i = 0; i < 20 && outcome != PassOutcome::Ok; ++i) outcome = h.pass().outcome;
    CHECK(outcome == PassOutcome::Ok);
    h.source.setFaults(0, 0, 0);
    h.target.setFaults(0, 0, 0);
    requireMirror(h);
    CHECK(h.target.containerCount() == 150);
    CHECK(h.target.artifactCount() == 300);
}

TEST_CASE("A label unknown on the target is dead-lettered, then re-driven once it exists",
          "[integration][route]") {
    EmulatorOptions target;
    target.labels = {"events"};  // the source also uses "incident"
    SyncHarness h(seeded(6, 50, 1), target);
    const auto first = h.pass();
    CHECK(first.outcome == PassOutcome::RecordErrors);
    CHECK(first.dead_lettered > 0);
    const auto letters = h.store->deadLetters(h.sync_->key());
    REQUIRE(letters.size() == static_cast<std::size_t>(first.dead_lettered));
    CHECK_THAT(letters.front().message, Catch::Contains("incident"));
    CHECK(letters.front().kind == soar::state::RecordKind::Container);

    h.target.addLabel("incident");
    const auto retried = h.sync_->retryDead();
    CHECK(retried.outcome == PassOutcome::Ok);
    CHECK(h.store->deadLetterCount(h.sync_->key()) == 0);
    requireMirror(h);
}

TEST_CASE("A container the target answers 500 to in three passes in a row is dead-lettered",
          "[integration][route]") {
    EmulatorOptions target;
    target.fail_marker = "cannot-be-stored";
    SyncHarness h(seeded(8, 30, 1), target);
    const auto poison = h.source.createContainer(
        R"({"name": "cannot-be-stored", "label": "events", "source_data_identifier": "p-1"})");
    const auto others = [&](const Poco::JSON::Object& c) {
        return c.getValue<std::int64_t>("id") != poison;
    };
    for (int pass = 1; pass <= 2; ++pass) {
        INFO("pass " << pass);
        const auto result = h.pass();
        CHECK(result.outcome == PassOutcome::Interrupted);
        CHECK_THAT(result.error, Catch::Contains("500"));
        CHECK(h.store->deadLetterCount(h.sync_->key()) == 0);
    }
    const auto third = h.pass();
    CHECK(third.outcome == PassOutcome::RecordErrors);
    CHECK(third.dead_lettered == 1);
    const auto letters = h.store->deadLetters(h.sync_->key());
    REQUIRE(letters.size() == 1);
    CHECK(letters.front().source_id == poison);
    CHECK_THAT(letters.front().message, Catch::Contains("500 to this container in 3 passes"));
    requireMirror(h, others);

    // Past it: the next pass is clean and does not try it again.
    const auto target_requests = h.target.requestCount();
    CHECK(h.pass().outcome == PassOutcome::Ok);
    CHECK(h.target.requestCount() == target_requests);
}

TEST_CASE("A target that answers 500 to every request, or to every write, dead-letters nothing",
          "[integration][route]") {
    const bool reads_work = GENERATE(false, true);
    INFO("reads work: " << reads_work);
    EmulatorOptions target;
    if (reads_work) target.fail_marker = "soar-sync:";  // in every body soar-sync writes
    SyncHarness h(seeded(9, 10, 1), target);
    if (!reads_work) h.target.setFaults(1.0, 0, 0);
    for (int pass = 1; pass <= 4; ++pass) {
        INFO("pass " << pass);
        CHECK(h.pass().outcome == PassOutcome::Interrupted);
    }
    CHECK(h.store->deadLetterCount(h.sync_->key()) == 0);
    if (reads_work) CHECK(h.target.containerCount() == 0);  // (faults apply half the writes)
}

TEST_CASE("An idle pass over 10,000 unchanged containers makes one request per stream",
          "[integration][route]") {
    auto route = soar::test::testRoute();
    route.page_size = 500;
    route.artifacts = false;
    route.lookback = std::chrono::milliseconds(0);
    SyncHarness h(seeded(12, 10'000, 0), EmulatorOptions{}, route, 8);
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    REQUIRE(h.target.containerCount() == 10'000);
    const auto source_requests = h.source.requestCount();
    const auto target_requests = h.target.requestCount();
    const auto idle = h.pass();
    CHECK(idle.outcome == PassOutcome::Ok);
    CHECK(total(idle.counts) == 0);
    CHECK(h.source.requestCount() - source_requests == 2);  // created + updated streams
    CHECK(h.target.requestCount() - target_requests == 0);
}

TEST_CASE("A running pass reports its progress", "[integration][route]") {
    auto source = seeded(13, 120, 1);
    source.latency_ms = 5;
    SyncHarness h(source, EmulatorOptions{}, soar::test::testRoute(), 2);
    CHECK_FALSE(h.sync_->live().running);
    std::atomic<bool> done{false};
    bool saw_running = false;
    std::int64_t progress_seen = 0;
    std::thread watcher([&] {
        while (!done.load()) {
            const auto live = h.sync_->live();
            if (live.running) {
                saw_running = true;
                progress_seen = std::max(progress_seen, live.counts.containers_created);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    const auto result = h.pass();
    done = true;
    watcher.join();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(saw_running);
    CHECK(progress_seen > 0);
    CHECK(progress_seen <= 120);
    const auto after = h.sync_->live();
    CHECK_FALSE(after.running);
    CHECK(after.counts.containers_created == 120);
}

namespace {

/// The source as a peer that may misreport what it lists: `artifact_count` on containers
/// (stale counts, or none) and ids (a container's or an artifact's, as `1e300` or "12abc"),
/// forwarding to the real client and recording each list read.
class MisreportingSource : public soar::sync::SoarApi {
public:
    explicit MisreportingSource(soar::sync::SoarApi& real) : real_(real) {}

    std::map<std::int64_t, std::optional<int>> counts;         // container id -> count
    std::map<std::int64_t, Poco::Dynamic::Var> container_ids;  // container id -> id shown
    std::map<std::int64_t, Poco::Dynamic::Var> artifact_ids;   // artifact id -> id shown
    std::vector<std::string> listed;                           // paths of listPage calls
    std::mutex mutex;

    std::string version() override { return real_.version(); }
    soar::sync::Page listPage(const std::string& path, const soar::sync::Query& query,
                              std::size_t page) override {
        auto answer = real_.listPage(path, query, page);
        const std::lock_guard<std::mutex> lock(mutex);
        listed.push_back(path);
        const bool artifacts = path == "artifact" || path.find("/artifacts") != std::string::npos;
        for (auto& record : answer.records) {
            const auto id = record->getValue<std::int64_t>("id");
            const auto& shown = artifacts ? artifact_ids : container_ids;
            if (const auto as = shown.find(id); as != shown.end()) record->set("id", as->second);
            if (path != "container") continue;
            const auto found = counts.find(id);
            if (found == counts.end()) continue;
            if (found->second) {
                record->set("artifact_count", *found->second);
            } else {
                record->remove("artifact_count");
            }
        }
        return answer;
    }
    soar::sync::Record getObject(const std::string& path) override { return real_.getObject(path); }
    std::optional<soar::sync::Record> find(const std::string& path) override {
        return real_.find(path);
    }
    std::optional<soar::sync::Record> get(const std::string& collection, std::int64_t id) override {
        return real_.get(collection, id);
    }
    soar::sync::ContainerCreated createContainer(const Poco::JSON::Object& c) override {
        return real_.createContainer(c);
    }
    void updateContainer(std::int64_t id, const Poco::JSON::Object& f) override {
        real_.updateContainer(id, f);
    }
    soar::sync::CreateResult createArtifact(const Poco::JSON::Object& a) override {
        return real_.createArtifact(a);
    }
    std::vector<soar::sync::BatchItemResult> createArtifacts(
        const Poco::JSON::Array& artifacts) override {
        return real_.createArtifacts(artifacts);
    }
    void updateArtifact(std::int64_t id, const Poco::JSON::Object& f) override {
        real_.updateArtifact(id, f);
    }
    soar::sync::CreateResult createNote(const Poco::JSON::Object& n) override {
        return real_.createNote(n);
    }
    soar::sync::CreateResult createComment(const Poco::JSON::Object& c) override {
        return real_.createComment(c);
    }
    void updateNote(std::int64_t id, const Poco::JSON::Object& f) override {
        real_.updateNote(id, f);
    }
    std::int64_t createRecord(const std::string& c, const Poco::JSON::Object& b) override {
        return real_.createRecord(c, b);
    }
    void updateRecord(const std::string& c, std::int64_t id, const Poco::JSON::Object& f) override {
        real_.updateRecord(c, id, f);
    }
    bool deleteRecord(const std::string& c, std::int64_t id) override {
        return real_.deleteRecord(c, id);
    }
    std::optional<soar::sync::PlaybookInfo> findPlaybook(const std::string& spec) override {
        return real_.findPlaybook(spec);
    }
    std::int64_t runPlaybook(const soar::sync::PlaybookRunRequest& request) override {
        return real_.runPlaybook(request);
    }
    soar::sync::PlaybookRunStatus playbookRun(std::int64_t run_id) override {
        return real_.playbookRun(run_id);
    }
    void cancelPlaybookRun(std::int64_t run_id) override { real_.cancelPlaybookRun(run_id); }
    std::uint64_t downloadFile(const std::string& sha1, const std::string& path,
                               std::uint64_t max_bytes) override {
        return real_.downloadFile(sha1, path, max_bytes);
    }
    std::int64_t attachFile(std::int64_t container, const std::string& name,
                            const std::string& path, const std::string& sha1) override {
        return real_.attachFile(container, name, path, sha1);
    }

    std::size_t perContainerReads() {
        const std::lock_guard<std::mutex> lock(mutex);
        return static_cast<std::size_t>(
            std::count_if(listed.begin(), listed.end(), [](const std::string& p) {
                return p.rfind("container/", 0) == 0 && p.find("/artifacts") != std::string::npos;
            }));
    }
    std::size_t artifactListReads() {
        const std::lock_guard<std::mutex> lock(mutex);
        return static_cast<std::size_t>(std::count(listed.begin(), listed.end(), "artifact"));
    }

private:
    soar::sync::SoarApi& real_;
};

}  // namespace

TEST_CASE("Artifacts are read a page of containers at a time, a miscounted container alone",
          "[integration][route]") {
    auto route = soar::test::testRoute();
    route.page_size = 20;
    SyncHarness h(seeded(17, 60, 3), EmulatorOptions{}, route);
    MisreportingSource source(*h.source_api);
    source.counts[5] = 2;             // stale: the container holds 3
    source.counts[6] = std::nullopt;  // no count at all
    source.counts[7] = 0;             // claims none, yet has had artifacts
    soar::sync::TargetSyncOptions options;
    options.target = "dst";
    soar::sync::SoarSource source_side(source, h.route);
    soar::sync::TargetSync engine(h.route, options, source_side, *h.target_side, *h.store);

    const auto first = engine.runPass();
    CHECK(first.outcome == PassOutcome::Ok);
    CHECK(first.counts.artifacts_created == 180);
    requireMirror(h);
    // Three pages of 20 containers: a few grouped reads, and one read of its own for each
    // container whose count disagreed with what the group read found (or had none).
    CHECK(source.perContainerReads() == 3);
    CHECK(source.artifactListReads() >= 3);
    CHECK(source.artifactListReads() <= 6);

    // Late artifacts come through the artifacts stream, grouped the same way.
    h.source.addArtifact(R"({"container_id": 8, "name": "late", "cef": {"x": "1"}})");
    h.source.addArtifact(R"({"container_id": 5, "name": "late", "cef": {"x": "2"}})");
    const auto second = engine.runPass();
    CHECK(second.outcome == PassOutcome::Ok);
    CHECK(second.counts.artifacts_created == 2);
    requireMirror(h);
}

TEST_CASE("A container or an artifact listed with an unusable id costs one dead letter each",
          "[integration][route]") {
    auto route = soar::test::testRoute();
    route.page_size = 4;
    SyncHarness h(seeded(23, 9, 1), EmulatorOptions{}, route);
    const auto late = h.source.addArtifact(R"({"container_id": 6, "name": "x", "cef": {}})");
    MisreportingSource source(*h.source_api);
    source.container_ids[3] = std::string("12abc");
    source.container_ids[4] = 1e300;
    source.artifact_ids[late] = -1;
    soar::sync::TargetSyncOptions options;
    options.target = "dst";
    soar::sync::SoarSource source_side(source, h.route);
    soar::sync::TargetSync engine(h.route, options, source_side, *h.target_side, *h.store);

    const auto first = engine.runPass();
    CHECK(first.outcome == PassOutcome::RecordErrors);
    CHECK(first.dead_lettered == 3);
    // 9 less 3 and 4; 6 was made before its artifacts were read, and is adopted (not made
    // twice) when its dead letter is re-driven.
    CHECK(h.target.containerCount() == 7);
    std::vector<std::string> messages;
    for (const auto& letter : h.store->deadLetters(engine.key())) {
        if (letter.message.find("artifact") != std::string::npos) {
            CHECK(letter.source_id == 6);
        } else {
            CHECK(letter.source_id < 0);  // a key of its own: there is no id to name it by
        }
        messages.push_back(letter.message);
    }
    std::sort(messages.begin(), messages.end());
    CHECK_THAT(messages, Catch::Equals(std::vector<std::string>{
                             "the source's answer cannot be read: a source artifact's id is out "
                             "of range ('-1')",
                             "the source's answer cannot be read: id out of range ('12abc')",
                             "the source's answer cannot be read: id out of range ('1e+300')"}));
    // The next pass finds nothing new and leaves the dead letters as they are.
    const auto second = engine.runPass();
    CHECK(second.counts.containers_created == 0);
    CHECK(h.store->deadLetters(engine.key()).size() == 3);
}

TEST_CASE("Idle passes log at debug, with an Information line at most every 5 minutes",
          "[integration][route]") {
    SyncHarness h(seeded(61, 3, 1), EmulatorOptions{});
    const auto clock = std::make_shared<soar::sync::ManualClock>();
    h.useEngineClock(clock);
    soar::test::LogCapture log("sync.route", Poco::Message::PRIO_INFORMATION);
    const auto idleLines = [&] {
        const auto lines = log.lines();
        return std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
            return line.find(": idle, nothing changed on the source; create_time cursor at") !=
                   std::string::npos;
        });
    };

    REQUIRE(h.pass().outcome == PassOutcome::Ok);  // copies 3 containers: a pass line
    CHECK_THAT(log.all(), Catch::Contains("containers 3 created"));
    REQUIRE(h.pass().outcome == PassOutcome::Ok);  // idle: one Information line
    CHECK(idleLines() == 1);
    for (int i = 0; i < 3; ++i) {
        clock->advance(std::chrono::minutes(1));
        REQUIRE(h.pass().outcome == PassOutcome::Ok);
    }
    CHECK(idleLines() == 1);  // the next idle passes go to debug
    const auto lines_before = log.lines().size();
    clock->advance(std::chrono::minutes(2));
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    CHECK(idleLines() == 2);  // 5 minutes on: said again
    CHECK(log.lines().size() == lines_before + 1);

    (void)h.source.createContainer(R"({"name": "new", "label": "events"})");
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    CHECK_THAT(log.lines().back(), Catch::Contains("containers 1 created"));
    REQUIRE(h.pass().outcome == PassOutcome::Ok);  // idle again after work: said at once
    CHECK(idleLines() == 3);
}

TEST_CASE(
    "Routes hq -> dr and dr -> hq run together: containers born on either side reach the "
    "other once, copies never bounce",
    "[integration]") {
    SyncHarness h(seeded(11, 4, 2), seeded(12, 3, 1));  // route src -> dst
    auto reverse = soar::test::testRoute();
    reverse.name = "dst-to-src";
    reverse.source = "dst";
    reverse.targets = {"src"};
    soar::sync::SoarSource reverse_source(*h.target_api, reverse);
    soar::sync::SoarTarget reverse_target(*h.source_api, reverse.page_size);
    soar::sync::TargetSyncOptions options;
    options.target = "src";
    soar::sync::TargetSync back(reverse, options, reverse_source, reverse_target, *h.store);

    for (int round = 0; round < 3; ++round) {
        INFO("round " << round);
        CHECK(h.pass().outcome == PassOutcome::Ok);
        CHECK(back.runPass().outcome == PassOutcome::Ok);
    }
    // 4 born on src + 3 born on dr, on each side: nothing copied twice, nothing bounced.
    CHECK(h.source.containerCount() == 7);
    CHECK(h.target.containerCount() == 7);
    // dr's failback: a container created on dr during an outage reaches src.
    (void)h.target.createContainer(R"({"name": "born on dr", "label": "events"})");
    CHECK(back.runPass().counts.containers_created == 1);
    CHECK(h.pass().counts.containers_created == 0);
    CHECK(h.source.containerCount() == 8);
    CHECK(h.target.containerCount() == 8);
}
