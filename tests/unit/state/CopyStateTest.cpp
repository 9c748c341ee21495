// copyState: a SQLite state file copied whole into a PostgreSQL database, then read back
// through the Store API and compared with the file, record by record; what a database that
// already holds a state gets; what the messages name and never show.

#include "ContractBuilders.h"
#include "PgTestServer.h"
#include "StateTestUtil.h"
#include "StoreFixtures.h"
#include "soar/state/CopyState.h"
#include "soar/state/SqliteStore.h"
#include "soar/state/StateError.h"
#include "support/TempDir.h"

#include <SQLiteCpp/Database.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace soar::state;
using namespace soar::state::test;

namespace {

constexpr std::chrono::milliseconds kTtl{30'000};
const RouteTarget kBulk{"bulk", "dr"};
/// Enough containers for two full insert batches of 200 and a tail, with 5 artifacts each.
constexpr std::int64_t kBulkContainers = 450;
/// The playbook triggers `fill` records, looked up one by one after the copy.
const std::vector<std::string> kTriggers = {"create:1", "create:2", "update:1:t1"};

/// The state file of a test, and the lease clock both its stores read.
struct SourceFile {
    StateOptions options() const {
        StateOptions options;
        options.path = (dir.path() / "state.db").string();
        options.lease_clock = clock.function();
        return options;
    }
    soar::test::TempDir dir;
    ManualLeaseClock clock;
};

/// A PostgreSQL schema of its own for one test, dropped at the end.
struct TargetSchema {
    explicit TargetSchema(const ManualLeaseClock& lease_clock)
        : name(PgTestServer::get().createSchema()), clock(lease_clock) {}
    ~TargetSchema() { PgTestServer::get().dropSchema(name); }
    TargetSchema(const TargetSchema&) = delete;
    TargetSchema& operator=(const TargetSchema&) = delete;
    StateOptions options() const {
        StateOptions options;
        options.backend = StateOptions::Backend::Postgresql;
        options.url = PgTestServer::get().urlFor(name);
        options.password = PgTestServer::get().password();
        options.lease_clock = clock.function();
        return options;
    }
    std::string name;
    const ManualLeaseClock& clock;
};

/// Calls `fn` with every count of a pass: the one list that fills and prints them.
template <class Counts, class Fn>
void forEachCount(Counts& c, Fn fn) {
    for (auto* count : {&c.containers_created,
                        &c.containers_updated,
                        &c.containers_unchanged,
                        &c.artifacts_created,
                        &c.artifacts_updated,
                        &c.artifacts_unchanged,
                        &c.errors,
                        &c.notes_created,
                        &c.notes_updated,
                        &c.comments_created,
                        &c.files_copied,
                        &c.file_bytes,
                        &c.workbooks_copied,
                        &c.tasks_written,
                        &c.owners_unmatched,
                        &c.fields_mirrored,
                        &c.notes_mirrored,
                        &c.conflicts_source_won,
                        &c.conflicts_target_won,
                        &c.results_reported,
                        &c.lists_written,
                        &c.lists_failed,
                        &c.deletions_found,
                        &c.copies_closed,
                        &c.copies_deleted}) {
        fn(*count);
    }
}

PassRecord passOf(std::int64_t n) {
    PassRecord pass;
    pass.started_at = timestampOf(n);
    pass.finished_at = timestampOf(n + 1);
    pass.outcome = n % 2 == 0 ? "ok" : "errors";
    std::int64_t next = n * 100;
    forEachCount(pass.counts, [&](std::int64_t& count) { count = ++next; });
    return pass;
}

/// Writes a row into every table of the schema, through the store's API only.
void fill(Store& store) {
    const auto key = testKey();
    for (std::int64_t n = 1; n <= 3; ++n) (void)store.commit(unitOf(n));

    auto unit = unitWith(key);
    auto edited = container(1, "hash-c-1b");
    edited.target_id = 100'001;
    edited.create_time = timestampOf(1);
    edited.container_update_time = "2024-05-02T08:00:00Z";
    edited.artifact_update_time = std::nullopt;
    edited.generation = 2;
    unit.containers.push_back(edited);
    unit.notes.push_back(note(RecordKind::Note, 21, 1));
    unit.notes.push_back(note(RecordKind::Comment, 22, 1));
    auto file = note(RecordKind::Attachment, 23, 2);
    file.content_hash = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    file.update_time = "2024-05-01T10:00:00Z";
    unit.notes.push_back(file);
    unit.notes.push_back(note(RecordKind::Task, 24, 2));
    unit.mirrors.push_back(MirrorState{1, R"({"status":"new"})", R"({"status":"open"})"});
    unit.cursors.push_back(Cursor{Stream::Notes, "2024-05-01T11:00:00Z", 21});
    unit.cursors.push_back(Cursor{Stream::CopiesUpdated, "2024-05-01T12:00:00Z", 100'001});
    unit.dead_letters.push_back(RefusedRecord{{RecordKind::Artifact, 12}, "bad label", "t1"});
    unit.playbook_intents.push_back(intent("create:1", 1));
    (void)store.commit(unit);

    auto run = store.recordPlaybookIntent(intent("create:2", 2)).run;
    (void)store.updatePlaybookRun(run.id, RunStatus::Success, 901, "done", "t3");
    (void)store.setPlaybookReport(run.id, ReportState::Sent);
    auto update = intent("update:1:t1", 1);
    update.trigger = TriggerKind::Update;
    (void)store.recordPlaybookIntent(update);
    (void)store.recordPlaybookIntent(intent("create:7", 7, kOther));

    store.recordPass(key, passOf(1));
    store.recordPass(key, passOf(2));
    store.recordPass(kOther, passOf(3));
    store.markFailing(key, "503 from dr", "2024-05-01T10:05:00Z");
    store.recordError(kOther, "timeout", "2024-05-01T10:06:00Z");
    (void)store.recordDeadLetter(kOther, {RecordKind::Container, 7}, "refused", "t1");
    (void)store.recordDeadLetter(kOther, {RecordKind::Container, 7}, "refused again", "t2");
    (void)store.addStrike(key, 5, "2024-05-01T09:00:00Z");
    (void)store.addStrike(key, 5, "2024-05-01T09:30:00Z");
    store.recordListCopy(key, ListCopy{"blocklist", "hash-l", 2, 30, "2024-05-01T10:00:00Z"});
    store.saveReconcileState(
        key, ReconcileState{"2024-05-01T13:00:00Z", 40, 3, 2, 1, "2024-05-01T12:00:00Z", 9, 8, 7});
    store.buryContainer(key,
                        Tombstone{3, 1, 100'003, "2024-05-01T13:01:00Z", DeletionAction::Closed});

    auto bulk = unitWith(kBulk);
    for (std::int64_t n = 1; n <= kBulkContainers; ++n) {
        const auto part = unitOf(n, kBulk);
        bulk.containers.push_back(part.containers.front());
        bulk.artifacts.insert(bulk.artifacts.end(), part.artifacts.begin(), part.artifacts.end());
    }
    (void)store.commit(bulk);

    (void)store.acquireLease("hq-to-dr", "node-a", kTtl);
    const auto other = store.acquireLease("other-route", "node-b", kTtl);
    REQUIRE(other);
    store.releaseLease(*other);
    store.requestLease("never-taken", "node-c");
    store.heartbeat("node-a", kTtl);
}

std::string text(const std::optional<std::string>& value) {
    return value ? "'" + *value + "'" : "-";
}

void put(std::ostream& out, const PassRecord& pass) {
    out << "pass " << pass.started_at << ' ' << pass.finished_at << ' ' << pass.outcome;
    forEachCount(pass.counts, [&](const std::int64_t& count) { out << ' ' << count; });
    out << '\n';
}

void put(std::ostream& out, const PlaybookRun& run) {
    out << "run " << run.id << ' ' << run.key.route << '/' << run.key.target << ' '
        << run.trigger_key << ' ' << run.source_container_id << ' ' << run.target_container_id
        << ' ' << run.playbook << ' ' << toString(run.trigger) << ' '
        << (run.run_id ? std::to_string(*run.run_id) : "-") << ' ' << toString(run.status) << ' '
        << run.message << ' ' << run.created_at << ' ' << run.updated_at << ' '
        << toString(run.report) << '\n';
}

void put(std::ostream& out, const ReconcileState& r) {
    out << "reconcile " << text(r.started_at) << ' ' << r.after_id << ' ' << r.checked << ' '
        << r.requests << ' ' << r.found << ' ' << text(r.finished_at) << ' ' << r.last_checked
        << ' ' << r.last_requests << ' ' << r.last_found << '\n';
}

void put(std::ostream& out, const MappingCounts& m) {
    out << "counts " << m.containers << ' ' << m.artifacts << ' ' << m.notes << ' ' << m.files
        << ' ' << m.tasks << '\n';
}

/// Everything `store` answers about its state, one line per record, in the store's order.
std::string dump(const Store& store) {
    std::ostringstream out;
    for (const auto& key : store.targets()) {
        out << "== " << key.route << '/' << key.target << '\n';
        const auto health = store.health(key);
        out << "health " << text(health.last_error) << ' ' << text(health.last_error_at) << ' '
            << text(health.failing_since) << '\n';
        for (const auto& c : store.cursors(key)) {
            out << "cursor " << toString(c.stream) << ' ' << c.timestamp << ' ' << c.last_id
                << '\n';
        }
        for (const auto& c : store.containerMappings(key, 0, 100'000)) {
            out << "container " << c.source_id << ' ' << c.target_id << ' ' << c.content_hash << ' '
                << text(c.create_time) << ' ' << text(c.container_update_time) << ' '
                << text(c.artifact_update_time) << ' ' << c.generation << '\n';
            for (const auto& a : store.artifactMappingsOf(key, c.source_id)) {
                out << "artifact " << a.source_id << ' ' << a.target_id << ' '
                    << a.source_container_id << ' ' << a.content_hash << ' ' << text(a.update_time)
                    << '\n';
            }
            for (const auto& n : store.noteMappingsOf(key, c.source_id)) {
                out << toString(n.kind) << ' ' << n.source_id << ' ' << n.target_id << ' '
                    << n.source_container_id << ' ' << n.content_hash << ' ' << text(n.update_time)
                    << '\n';
            }
            if (const auto m = store.mirrorState(key, c.source_id)) {
                out << "mirror " << m->source_id << ' ' << m->source_fields << ' '
                    << m->target_fields << '\n';
            }
        }
        for (const auto& p : store.recentPasses(key, 100)) put(out, p);
        for (const auto& trigger : kTriggers) {
            if (const auto run = store.playbookRun(key, trigger)) put(out, *run);
        }
        for (const auto& run : store.pendingPlaybookRuns(key)) put(out << "pending ", run);
        for (const auto& run : store.unreportedPlaybookRuns(key)) put(out << "unreported ", run);
        for (const auto& d : store.deadLetters(key)) {
            out << "dead " << toString(d.kind) << ' ' << d.source_id << ' ' << d.message << ' '
                << d.attempts << ' ' << d.first_seen << ' ' << d.last_seen << '\n';
        }
        for (const auto& s : store.strikes(key)) {
            out << "strike " << s.source_id << ' ' << s.passes << ' ' << s.first_pass_at << '\n';
        }
        for (const auto& t : store.tombstones(key)) {
            out << "tombstone " << t.source_id << ' ' << t.generation << ' ' << t.target_id << ' '
                << t.found_at << ' ' << toString(t.action) << '\n';
        }
        const auto status = store.status(key);
        if (status.last_pass) put(out << "last ", *status.last_pass);
        put(out, status.mappings);
        out << "dead letters " << status.dead_letters << '\n';
        for (const auto& [run_status, n] : status.playbook_runs) {
            out << "runs " << toString(run_status) << ' ' << n << '\n';
        }
        for (const auto& l : status.lists) {
            out << "list " << l.name << ' ' << l.content_hash << ' ' << l.rows << ' ' << l.bytes
                << ' ' << l.written_at << '\n';
        }
        if (status.reconcile) put(out, *status.reconcile);
        for (const auto& [action, n] : status.tombstones) {
            out << "tombstones " << toString(action) << ' ' << n << '\n';
        }
    }
    for (const auto& l : store.leases()) {
        out << "lease " << l.route << ' ' << l.holder << ' ' << l.epoch << ' ' << l.acquired_ms
            << ' ' << l.expires_ms << ' ' << l.wanted_by << ' ' << l.wanted_ms << '\n';
    }
    for (const auto& n : store.liveNodes()) {
        out << "node " << n.holder << ' ' << n.seen_ms << ' ' << n.expires_ms << '\n';
    }
    return out.str();
}

/// The rows of each table of the SQLite file, by table name.
std::vector<std::pair<std::string, std::int64_t>> rowsOfFile(const std::string& path) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    std::vector<std::string> tables;
    SQLite::Statement q(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (q.executeStep()) tables.push_back(q.getColumn(0).getString());
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& t : tables) {
        out.emplace_back(t, db.execAndGet("SELECT count(*) FROM " + t).getInt64());
    }
    return out;
}

std::string copyFails(const StateOptions& from, const StateOptions& to, bool into_non_empty,
                      StateError::Kind kind) {
    try {
        (void)copyState(from, to, into_non_empty);
    } catch (const StateError& e) {
        CHECK(e.kind() == kind);
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains(from.describe()));
        CHECK_THAT(message, Catch::Contains(to.describe()));
        CHECK_THAT(message, !Catch::Contains(PgTestServer::get().password()));
        CHECK_THAT(message, !Catch::Contains(to.password));
        return message;
    }
    FAIL("copying " << from.describe() << " into " << to.describe() << " succeeded");
    return "";
}

}  // namespace

TEST_CASE("copyState: every table of a SQLite state reads back equal from PostgreSQL",
          "[state][postgresql][copy]") {
    SourceFile source;
    auto sqlite = SqlStore::open(source.options());
    fill(*sqlite);
    const auto before = dump(*sqlite);
    TargetSchema schema(source.clock);

    const auto report = copyState(source.options(), schema.options(), false);

    // Every table of the file, parents first, with all its rows; none of them empty.
    REQUIRE(report.tables.size() == 15);
    CHECK(report.tables.front().first == "targets");
    auto copied = report.tables;
    std::sort(copied.begin(), copied.end());
    CHECK(copied == rowsOfFile(source.options().path));
    std::int64_t total = 0;
    for (const auto& [table, rows] : report.tables) {
        INFO(table);
        CHECK(rows > 0);
        total += rows;
    }
    CHECK(report.total == total);
    CHECK(report.total > kBulkContainers * (1 + kArtifactsPerUnit));

    auto pg = SqlStore::open(schema.options());
    CHECK(dump(*pg) == before);
    // The comparison is of real answers, not of two empty ones.
    CHECK(pg->containerMapping(testKey(), 1)->generation == 2);
    CHECK(pg->mappingCounts(kBulk).artifacts == kBulkContainers * kArtifactsPerUnit);
    CHECK(pg->playbookRun(testKey(), "create:2")->run_id == 901);
    CHECK(pg->mirrorState(testKey(), 1)->target_fields == R"({"status":"open"})");
    CHECK(pg->leases().size() == 3);
    CHECK(pg->liveNodes().size() == 1);
    CHECK(pg->status(testKey()).reconcile->last_found == 7);

    // New writes continue the copied ids: no key clash with a copied row.
    std::int64_t last_run = 0;
    for (const auto& key : {testKey(), kOther}) {
        for (const auto& trigger : {"create:1", "create:2", "update:1:t1", "create:7"}) {
            if (const auto run = pg->playbookRun(key, trigger)) {
                last_run = std::max(last_run, run->id);
            }
        }
    }
    CHECK(last_run == 4);
    const auto fresh = pg->recordPlaybookIntent(intent("create:9", 9));
    CHECK(fresh.created);
    CHECK(fresh.run.id > last_run);
    pg->recordPass(testKey(), passOf(4));
    const auto passes = pg->recentPasses(testKey(), 10);
    REQUIRE(passes.size() == 3);
    CHECK(passes.front().started_at == timestampOf(4));
    const RouteTarget added{"new-route", "dr"};
    (void)pg->commit(unitOf(60, added));
    CHECK(rowsOfUnit(*pg, 60, added) == 1 + kArtifactsPerUnit);
    CHECK(pg->targets().size() == 4);

    // Leases carry on where the file left them: the holder renews, a new taker's epoch grows.
    const auto held = pg->leases().front();
    REQUIRE(held.route == "hq-to-dr");
    const auto renewed = pg->renewLease(held, kTtl);
    REQUIRE(renewed);
    CHECK(renewed->epoch == held.epoch);
    const auto taken = pg->acquireLease("other-route", "node-d", kTtl);
    REQUIRE(taken);
    CHECK(taken->epoch == 2);
}

TEST_CASE("copyState: a database holding a state is refused and left unchanged, or replaced",
          "[state][postgresql][copy]") {
    SourceFile source;
    auto sqlite = SqlStore::open(source.options());
    fill(*sqlite);
    TargetSchema schema(source.clock);

    SECTION("a state copied earlier") {
        (void)copyState(source.options(), schema.options(), false);
        (void)sqlite->commit(unitOf(70));  // the file moved on since
        const auto copied = dump(*SqlStore::open(schema.options()));

        const auto message =
            copyFails(source.options(), schema.options(), false, StateError::Kind::Unwritable);
        CHECK_THAT(message, Catch::Contains("already holds a state (3 route/target rows, 3 "
                                            "leases, 1 daemon heartbeats)"));
        CHECK_THAT(message, Catch::Contains("--into-non-empty"));
        auto pg = SqlStore::open(schema.options());
        CHECK(dump(*pg) == copied);
        CHECK(rowsOfUnit(*pg, 70) == 0);

        const auto report = copyState(source.options(), schema.options(), true);
        CHECK(report.total > 0);
        auto replaced = SqlStore::open(schema.options());
        CHECK(rowsOfUnit(*replaced, 70) == 1 + kArtifactsPerUnit);
        CHECK(dump(*replaced) == dump(*sqlite));
    }
    SECTION("a lease only") {
        SqlStore::open(schema.options())->requestLease("elsewhere", "node-z");
        const auto message =
            copyFails(source.options(), schema.options(), false, StateError::Kind::Unwritable);
        CHECK_THAT(message, Catch::Contains("(0 route/target rows, 1 leases, 0 daemon"));
    }
    SECTION("rows the file does not have are gone once replaced") {
        {
            auto pg = SqlStore::open(schema.options());
            const RouteTarget elsewhere{"elsewhere", "x"};
            (void)pg->commit(unitOf(80, elsewhere));
            pg->recordPass(elsewhere, passOf(9));
            (void)pg->recordPlaybookIntent(intent("create:80", 80, elsewhere));
            pg->heartbeat("node-z", kTtl);
        }
        (void)copyState(source.options(), schema.options(), true);
        auto pg = SqlStore::open(schema.options());
        CHECK(dump(*pg) == dump(*sqlite));
        CHECK(pg->targets().size() == 3);
    }
}

TEST_CASE("copyState: failures name both places and never the password",
          "[state][postgresql][copy]") {
    SourceFile source;
    (void)SqlStore::open(source.options())->commit(unitOf(1));
    TargetSchema schema(source.clock);
    auto to = schema.options();
    auto from = source.options();

    SECTION("a wrong password") {
        to.password = "wrong-" + to.password;
        (void)copyFails(from, to, false, StateError::Kind::Unwritable);
    }
    SECTION("no state file") {
        from.path = (source.dir.path() / "missing.db").string();
        const auto message = copyFails(from, to, false, StateError::Kind::Missing);
        CHECK_THAT(message, Catch::Contains("does not exist"));
    }
    SECTION("a target that is not PostgreSQL") {
        to.backend = StateOptions::Backend::Sqlite;
        to.path = (source.dir.path() / "other.db").string();
        const auto message = copyFails(from, to, false, StateError::Kind::Other);
        CHECK_THAT(message, Catch::Contains("only be copied into a PostgreSQL database"));
    }
    SECTION("a table or a column this soar-sync does not know: nothing copied") {
        std::string unknown;
        {
            SQLite::Database raw(from.path, SQLite::OPEN_READWRITE);
            SECTION("a column") {
                raw.exec("ALTER TABLE strikes ADD COLUMN weight INTEGER");
                unknown =
                    "table strikes of the file has a column this soar-sync cannot copy: "
                    "weight";
            }
            SECTION("a table") {
                raw.exec("CREATE TABLE notes_extra (x INTEGER)");
                unknown = "the file holds a table this soar-sync cannot copy: notes_extra";
            }
        }
        const auto message = copyFails(from, to, false, StateError::Kind::Corrupt);
        CHECK_THAT(message, Catch::Contains(unknown));
        CHECK(SqlStore::open(to)->targets().empty());
    }
}

TEST_CASE("copyState: an older state file is migrated first, then copied",
          "[state][postgresql][copy]") {
    SourceFile source;
    const auto from = source.options();
    SqlStore::migrateFileTo(from, 5);
    {
        SQLite::Database raw(from.path, SQLite::OPEN_READWRITE);
        raw.exec(
            "INSERT INTO targets (id, route, target) VALUES (1, 'hq-to-dr', 'dr');"
            "INSERT INTO cursors VALUES (1, 'containers_created', '2024-05-01T10:00:00Z', 1);"
            "INSERT INTO container_map VALUES (1, 1, 100001, 'hash-c-1', "
            "'2024-05-01T10:00:00Z', NULL, NULL);"
            "INSERT INTO artifact_map VALUES (1, 11, 1000011, 1, 'hash-a-11', NULL);"
            "INSERT INTO note_map VALUES (1, 'note', 21, 2000021, 1, 'hash-n-21', NULL);"
            "INSERT INTO mirror_state VALUES (1, 1, '{}', '{\"status\":\"new\"}');"
            "INSERT INTO strikes VALUES (1, 5, 2, '2024-05-01T09:00:00Z');"
            "INSERT INTO passes (target_ref, started_at, finished_at, outcome, "
            "containers_created, containers_updated, containers_unchanged, artifacts_created, "
            "artifacts_updated, artifacts_unchanged, errors) VALUES (1, 't0', 't1', 'ok', 1, 0, "
            "0, 1, 0, 0, 0);"
            "INSERT INTO playbook_runs (target_ref, trigger_key, source_container_id, "
            "target_container_id, playbook, trigger_kind, run_id, status, created_at, "
            "updated_at) VALUES (1, 'create:1', 1, 100001, 'local/triage', 'create', 7, "
            "'running', 't0', 't1');"
            "INSERT INTO dead_letters VALUES (1, 'artifact', 12, 'bad', 1, 't0', 't0');");
    }
    TargetSchema schema(source.clock);

    const auto report = copyState(from, schema.options(), false);

    CHECK(report.total == 10);
    auto file = SqlStore::open(from);
    CHECK(file->schemaVersion() == SqlStore::kSchemaVersion);
    auto pg = SqlStore::open(schema.options());
    CHECK(dump(*pg) == dump(*file));
    const auto key = testKey();
    CHECK(pg->containerMapping(key, 1)->generation == 1);
    CHECK(pg->artifactMappingsOf(key, 1).size() == 1);
    CHECK(pg->noteMapping(key, RecordKind::Note, 21)->target_id == 2'000'021);
    CHECK(pg->strikes(key).size() == 1);
    CHECK(pg->lastPass(key)->counts.containers_created == 1);
    CHECK(pg->pendingPlaybookRuns(key).size() == 1);
    CHECK(pg->deadLetterCount(key) == 1);
    CHECK(pg->recordPlaybookIntent(intent("create:2", 2)).run.id == 2);
}
