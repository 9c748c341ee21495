// Two-way routes on the fakes (design.md §5, "Two-way without loops"): changes made on a copy
// reach the source, conflicts are settled by the rule, statuses travel by meaning, notes and
// comments written on the copy reach the source once and never come back, and once people stop
// editing, passes write nothing on either side.

#include "EngineFixture.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using soar::state::RecordKind;
using soar::sync::ConflictRule;
using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::sourceTime;

struct MirrorFixture : EngineFixture {
    MirrorFixture() {
        route.mirror_back.status = true;
        route.mirror_back.severity = true;
        route.mirror_back.tags = true;
        route.add_tags = {"synced"};
        options.source_side = &source;
        options.target_side = &target;
    }
    [[nodiscard]] std::int64_t copyOf(std::int64_t id) const {
        return target.containerBySdi(sdi(id)).value();
    }
    [[nodiscard]] std::string sourceField(std::int64_t id, const std::string& field) const {
        return (*source.containerBody(id))->optValue<std::string>(field, "");
    }
    [[nodiscard]] std::string targetField(std::int64_t id, const std::string& field) const {
        return (*target.container(copyOf(id)))->optValue<std::string>(field, "");
    }
    /// Writes on either side in a pass.
    std::int64_t writesOfPass() {
        target.resetCounts();
        source.resetCounts();
        const auto result = pass();
        REQUIRE(result.outcome == PassOutcome::Ok);
        return target.writes() + source.writes();
    }
};

Poco::JSON::Object::Ptr withStatus(const std::string& status) {
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    out->set("status", status);
    return out;
}

}  // namespace

TEST_CASE("Two-way: a status set on the copy reaches the source, and nothing echoes",
          "[sync][mirror]") {
    MirrorFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    REQUIRE(f.pass().counts.containers_created == 1);
    REQUIRE(f.writesOfPass() == 0);  // the back cursors start here

    f.target.editAsAnalyst(f.copyOf(id), sourceTime(100),
                           [](Poco::JSON::Object& c) { c.set("status", "open"); });
    const auto result = f.pass();
    CHECK(result.counts.fields_mirrored == 1);
    CHECK(f.sourceField(id, "status") == "open");
    CHECK(f.source.writes() == 1);
    // The source's edit (soar-sync's own) is met by its one-way streams: nothing goes out.
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: a change on the source still flows out, and leaves the copy's own fields",
          "[sync][mirror]") {
    MirrorFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.pass();
    f.target.editAsAnalyst(f.copyOf(id), sourceTime(100),
                           [](Poco::JSON::Object& c) { c.set("severity", "high"); });
    f.source.editContainer(id, sourceTime(110), [](Poco::JSON::Object& c) {
        c.set("name", "renamed on the source");
        c.set("status", "open");
    });
    (void)f.pass();
    CHECK(f.targetField(id, "name") == "renamed on the source");
    CHECK(f.targetField(id, "status") == "open");
    CHECK(f.targetField(id, "severity") == "high");  // not overwritten by the source's medium
    CHECK(f.sourceField(id, "severity") == "high");
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: a field changed on both sides is settled by the conflict rule",
          "[sync][mirror]") {
    MirrorFixture f;
    std::string source_edit = sourceTime(200);
    std::string target_edit = sourceTime(100);
    std::string winner = "open";  // the source's, made later
    bool target_wins = false;
    SECTION("newest: the later edit wins") {}
    SECTION("newest: the copy's later edit wins") {
        source_edit = sourceTime(100);
        target_edit = sourceTime(200);
        winner = "closed";
        target_wins = true;
    }
    SECTION("source: the source wins whatever the times") {
        f.route.conflict = ConflictRule::Source;
        source_edit = sourceTime(100);
        target_edit = sourceTime(200);
    }
    SECTION("target: the copy wins whatever the times") {
        f.route.conflict = ConflictRule::Target;
        winner = "closed";
        target_wins = true;
    }
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.pass();
    (void)f.pass();
    f.source.editContainer(id, source_edit, [](Poco::JSON::Object& c) { c.set("status", "open"); });
    f.target.editAsAnalyst(f.copyOf(id), target_edit,
                           [](Poco::JSON::Object& c) { c.set("status", "closed"); });
    const auto result = f.pass();
    CHECK(result.counts.conflicts_target_won == (target_wins ? 1 : 0));
    CHECK(result.counts.conflicts_source_won == (target_wins ? 0 : 1));
    CHECK(result.dead_lettered == 0);
    CHECK(f.sourceField(id, "status") == winner);
    CHECK(f.targetField(id, "status") == winner);
    CHECK_THAT(f.logs.all(), Catch::Contains("status changed on both sides") &&
                                 Catch::Contains(target_wins ? "'open'" : "'closed'"));
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: a status the other side lacks travels by its status type", "[sync][mirror]") {
    MirrorFixture f;
    f.source.setStatuses({{"new", "new"},
                          {"open", "open"},
                          {"triage", "open"},
                          {"closed", "resolved"},
                          {"resolved", "resolved"}});
    const auto id = f.source.addContainer(sourceTime(0), withStatus("triage"));
    (void)f.pass();
    CHECK(f.targetField(id, "status") == "open");  // the target has no triage
    CHECK(f.sourceField(id, "status") == "triage");
    (void)f.pass();

    // Closing the copy closes the source; its own resolved-type status is kept as it is.
    f.target.editAsAnalyst(f.copyOf(id), sourceTime(100),
                           [](Poco::JSON::Object& c) { c.set("status", "closed"); });
    (void)f.pass();
    CHECK(f.sourceField(id, "status") == "closed");
    f.source.editContainer(id, sourceTime(200),
                           [](Poco::JSON::Object& c) { c.set("status", "resolved"); });
    (void)f.pass();
    CHECK(f.targetField(id, "status") == "closed");  // already of that meaning: unchanged
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: tags travel back without the route's add_tags", "[sync][mirror]") {
    MirrorFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.pass();
    (void)f.pass();
    f.target.editAsAnalyst(f.copyOf(id), sourceTime(100), [](Poco::JSON::Object& c) {
        Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
        tags->add("synced");
        tags->add("phishing");
        c.set("tags", tags);
    });
    (void)f.pass();
    const auto tags = (*f.source.containerBody(id))->getArray("tags");
    REQUIRE(tags);
    REQUIRE(tags->size() == 1);
    CHECK(tags->get(0).toString() == "phishing");
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: notes and comments written on the copy reach the source once",
          "[sync][mirror]") {
    MirrorFixture f;
    f.route.notes = true;
    f.route.mirror_back.notes = true;
    f.route.mirror_back.comments = true;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.source.addNote(id, sourceTime(1), "source note");
    (void)f.pass();
    (void)f.pass();
    const auto copy = f.copyOf(id);
    const auto note =
        f.target.addNoteAsAnalyst(RecordKind::Note, copy, sourceTime(100), "seen on the DR side");
    (void)f.target.addNoteAsAnalyst(RecordKind::Comment, copy, sourceTime(101), "on it");
    const auto result = f.pass();
    CHECK(result.counts.notes_mirrored == 2);
    std::vector<std::string> notes;
    f.source.forEachNote(RecordKind::Note, id,
                         [&](std::int64_t, const std::string& text) { notes.push_back(text); });
    REQUIRE(notes.size() == 2);
    CHECK_THAT(notes[1], Catch::StartsWith("seen on the DR side") &&
                             Catch::Contains("[soar-sync:dst:note:" + std::to_string(note) + "]"));
    // Not copied back to the target, where it came from.
    CHECK(f.target.notesIn(RecordKind::Note, copy).size() == 2);
    CHECK(f.target.notesIn(RecordKind::Comment, copy).size() == 1);
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);

    // An edit of the copy's note follows it.
    f.target.editNoteAsAnalyst(note, sourceTime(200), "seen on the DR side, contained");
    (void)f.pass();
    notes.clear();
    f.source.forEachNote(RecordKind::Note, id,
                         [&](std::int64_t, const std::string& text) { notes.push_back(text); });
    REQUIRE(notes.size() == 2);
    CHECK_THAT(notes[1], Catch::StartsWith("seen on the DR side, contained"));
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: a note written back before a crash lost the commit is not written twice",
          "[sync][mirror]") {
    MirrorFixture f;
    f.route.notes = true;
    f.route.mirror_back.notes = true;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.pass();
    (void)f.pass();
    const auto copy = f.copyOf(id);
    (void)f.target.addNoteAsAnalyst(RecordKind::Note, copy, sourceTime(100), "found it");
    const auto cursor = f.cursor(soar::state::Stream::CopyNotes).value();
    (void)f.pass();
    // The commit is lost: the cursor goes back and the note mapping is forgotten.
    f.store.setCursor(f.key, cursor);
    (void)f.store.deleteContainerMapping(f.key, id);
    (void)f.pass();  // the container is adopted again; the note is found by its marker
    std::size_t written = 0;
    f.source.forEachNote(RecordKind::Note, id, [&](std::int64_t, const std::string& text) {
        if (text.find("found it") != std::string::npos) ++written;
    });
    CHECK(written == 1);
}

TEST_CASE("Two-way: analysts editing both sides at once end equal, then passes write nothing",
          "[sync][mirror]") {
    const auto seed = GENERATE(1u, 2u, 3u, 4u, 5u);
    INFO("seed " << seed);
    MirrorFixture f;
    f.route.notes = true;
    f.route.mirror_back.notes = true;
    f.route.mirror_back.comments = true;
    std::mt19937 random(seed);
    const auto pick = [&](const std::vector<std::string>& from) {
        return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random)];
    };
    const std::vector<std::string> statuses{"new", "open", "closed"};
    const std::vector<std::string> severities{"low", "medium", "high"};
    const std::vector<std::string> tags{"a", "b", "c"};
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 8; ++i) ids.push_back(f.source.addContainer(sourceTime(i)));
    (void)f.pass();
    (void)f.pass();

    std::int64_t now = 1000;
    for (int round = 0; round < 30; ++round) {
        const int edits = std::uniform_int_distribution<int>(0, 4)(random);
        for (int e = 0; e < edits; ++e) {
            const auto id =
                ids[std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(random)];
            const auto field = pick({"status", "severity", "tags", "note"});
            const bool on_target = std::uniform_int_distribution<int>(0, 1)(random) == 1;
            const auto value = field == "status" ? pick(statuses) : pick(severities);
            const auto tag = pick(tags);
            now += std::uniform_int_distribution<int>(1, 3)(random);
            const auto edit = [&](Poco::JSON::Object& c) {
                if (field == "tags") {
                    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
                    list->add(tag);
                    if (on_target) list->add("synced");
                    c.set("tags", list);
                } else {
                    c.set(field, value);
                }
            };
            if (field == "note") {
                if (on_target) {
                    (void)f.target.addNoteAsAnalyst(RecordKind::Note, f.copyOf(id), sourceTime(now),
                                                    "dr note " + tag);
                } else {
                    (void)f.source.addNote(id, sourceTime(now), "hq note " + tag);
                }
            } else if (on_target) {
                f.target.editAsAnalyst(f.copyOf(id), sourceTime(now), edit);
            } else {
                f.source.editContainer(id, sourceTime(now), edit);
            }
        }
        if (std::uniform_int_distribution<int>(0, 2)(random) != 0) {
            REQUIRE(f.pass().outcome == PassOutcome::Ok);
        }
    }
    // The analysts stop: one pass settles what is left, the next two write nothing.
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    for (const auto id : ids) {
        INFO("container " << id);
        CHECK(f.sourceField(id, "status") == f.targetField(id, "status"));
        CHECK(f.sourceField(id, "severity") == f.targetField(id, "severity"));
        std::set<std::string> source_tags;
        std::set<std::string> target_tags;
        const auto source_body = *f.source.containerBody(id);
        const auto target_body = *f.target.container(f.copyOf(id));
        for (const auto& t : *source_body->getArray("tags")) source_tags.insert(t.toString());
        for (const auto& t : *target_body->getArray("tags")) {
            if (t.toString() != "synced") target_tags.insert(t.toString());
        }
        CHECK(source_tags == target_tags);
        // Every note is on both sides, once.
        std::size_t source_notes = 0;
        f.source.forEachNote(RecordKind::Note, id,
                             [&](std::int64_t, const std::string&) { ++source_notes; });
        CHECK(source_notes == f.target.notesIn(RecordKind::Note, f.copyOf(id)).size());
    }
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);
    // And a change made on one copy alone still reaches its source.
    f.target.editAsAnalyst(f.copyOf(ids[3]), sourceTime(now + 10),
                           [](Poco::JSON::Object& c) { c.set("severity", "critical"); });
    REQUIRE(f.pass().counts.fields_mirrored == 1);
    CHECK(f.sourceField(ids[3], "severity") == "critical");
    CHECK(f.writesOfPass() == 0);
}

namespace {

/// A two-way route carrying a case's tasks: one case with a phase of two tasks, not started.
struct TaskFixture : MirrorFixture {
    std::int64_t container = 0;
    std::int64_t review = 0;
    std::int64_t contain = 0;

    TaskFixture() {
        route.workbooks = true;
        route.mirror_back.tasks = true;
        Poco::JSON::Object::Ptr fields = new Poco::JSON::Object;
        fields->set("container_type", "case");
        container = source.addContainer(sourceTime(0), fields);
        const auto phase = source.addPhase(container, "Triage");
        review = source.addTask(phase, sourceTime(1), "Review");
        contain = source.addTask(phase, sourceTime(2), "Contain");
    }
    [[nodiscard]] std::int64_t copyTask(const std::string& name) const {
        for (const auto& p : target.workbookOf(copyOf(container))) {
            for (const auto& t : p.tasks) {
                if (t.name == name) return t.id;
            }
        }
        return 0;
    }
    [[nodiscard]] std::int64_t sourceStatus(std::int64_t task) {
        for (const auto& p : source.workbook(container)) {
            for (const auto& t : p.tasks) {
                if (t.id == task) return t.status;
            }
        }
        return -1;
    }
    [[nodiscard]] std::optional<std::int64_t> sourceOwner(std::int64_t task) {
        for (const auto& p : source.workbook(container)) {
            for (const auto& t : p.tasks) {
                if (t.id == task) return t.owner;
            }
        }
        return std::nullopt;
    }
    [[nodiscard]] std::optional<std::int64_t> copyOwner(const std::string& name) const {
        for (const auto& p : target.workbookOf(copyOf(container))) {
            for (const auto& t : p.tasks) {
                if (t.name == name) return t.owner;
            }
        }
        return std::nullopt;
    }
    [[nodiscard]] std::int64_t copyStatus(const std::string& name) const {
        for (const auto& p : target.workbookOf(copyOf(container))) {
            for (const auto& t : p.tasks) {
                if (t.name == name) return t.status;
            }
        }
        return -1;
    }
};

}  // namespace

TEST_CASE("Two-way: a task's progress on the copy reaches the source's task", "[sync][mirror]") {
    TaskFixture f;
    (void)f.pass();
    (void)f.pass();
    REQUIRE(f.copyTask("Review") != 0);
    f.target.setTaskStatusAsAnalyst(f.copyTask("Review"), sourceTime(100), 2);  // in progress
    const auto started = f.pass();
    CHECK(started.counts.fields_mirrored == 1);
    CHECK(f.sourceStatus(f.review) == 2);
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);

    f.target.setTaskStatusAsAnalyst(f.copyTask("Review"), sourceTime(200), 1);  // complete
    (void)f.pass();
    CHECK(f.sourceStatus(f.review) == 1);
    CHECK(f.sourceStatus(f.contain) == 0);
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: a task moved on both sides is settled by the conflict rule", "[sync][mirror]") {
    TaskFixture f;
    std::string source_time = sourceTime(200);
    std::string target_time = sourceTime(100);
    std::int64_t expected = 1;  // the source's, later
    SECTION("the source moved it last") {}
    SECTION("the copy moved it last") {
        source_time = sourceTime(100);
        target_time = sourceTime(200);
        expected = 2;
    }
    (void)f.pass();
    (void)f.pass();
    f.source.editTask(f.review, source_time, 1);
    f.target.setTaskStatusAsAnalyst(f.copyTask("Review"), target_time, 2);
    const auto result = f.pass();
    CHECK(result.counts.conflicts_source_won + result.counts.conflicts_target_won == 1);
    (void)f.pass();
    CHECK(f.sourceStatus(f.review) == expected);
    CHECK(f.copyStatus("Review") == expected);
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: a copy's task status survives a later change of something else on the source",
          "[sync][mirror]") {
    TaskFixture f;
    (void)f.pass();
    (void)f.pass();
    f.target.setTaskStatusAsAnalyst(f.copyTask("Review"), sourceTime(100), 2);
    // Later on the source: a note on the task (its modified_time moves, its status does not).
    (void)f.source.addTaskNote(f.review, sourceTime(200), "seen");
    const auto result = f.pass();
    CHECK(result.counts.conflicts_source_won + result.counts.conflicts_target_won == 0);
    (void)f.pass();
    CHECK(f.sourceStatus(f.review) == 2);
    CHECK(f.copyStatus("Review") == 2);
    CHECK(f.writesOfPass() == 0);
}

/// TaskFixture with owners by username both ways: dana and lee on both sides, sam on the
/// target only; the source's Review task is dana's.
struct TaskOwnerFixture : TaskFixture {
    std::int64_t dana = 0;
    std::int64_t lee = 0;
    std::int64_t sam = 0;
    static constexpr std::int64_t kSourceDana = 3;
    static constexpr std::int64_t kSourceLee = 4;

    TaskOwnerFixture() {
        route.owners_by_name = true;
        route.mirror_back.owner = true;
        source.addUser(kSourceDana, "dana");
        source.addUser(kSourceLee, "lee");
        dana = target.addUser("dana");
        lee = target.addUser("lee");
        sam = target.addUser("sam");
        source.editTask(review, sourceTime(3), 0, kSourceDana);
    }
};

TEST_CASE("Two-way: a task's owner set on the copy reaches the source's task by username",
          "[sync][mirror]") {
    TaskOwnerFixture f;
    (void)f.pass();
    (void)f.pass();
    REQUIRE(f.copyOwner("Review") == f.dana);

    f.target.setTaskOwnerAsAnalyst(f.copyTask("Review"), sourceTime(100), f.lee);
    CHECK(f.pass().counts.fields_mirrored == 1);
    CHECK(f.sourceOwner(f.review) == TaskOwnerFixture::kSourceLee);
    CHECK(f.copyOwner("Review") == f.lee);
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);

    // Unassigned on the copy: unassigned on the source.
    f.target.setTaskOwnerAsAnalyst(f.copyTask("Review"), sourceTime(200), std::nullopt);
    CHECK(f.pass().counts.fields_mirrored == 1);
    CHECK(f.sourceOwner(f.review) == std::nullopt);
    CHECK(f.writesOfPass() == 0);

    // A user the source lacks: the source's task keeps its owner, the copy keeps sam, and no
    // pass writes either way.
    f.target.setTaskOwnerAsAnalyst(f.copyTask("Review"), sourceTime(300), f.sam);
    CHECK(f.pass().counts.fields_mirrored == 0);
    CHECK(f.sourceOwner(f.review) == std::nullopt);
    CHECK(f.copyOwner("Review") == f.sam);
    CHECK(f.writesOfPass() == 0);

    // And a later change of the source's owner still flows out.
    f.source.editTask(f.review, sourceTime(400), 0, TaskOwnerFixture::kSourceDana);
    (void)f.pass();
    CHECK(f.copyOwner("Review") == f.dana);
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: a task's owner changed on both sides is settled by the conflict rule",
          "[sync][mirror]") {
    TaskOwnerFixture f;
    std::string source_time = sourceTime(200);
    std::string target_time = sourceTime(100);
    bool source_wins = true;
    SECTION("the source assigned it last") {}
    SECTION("the copy assigned it last") {
        source_time = sourceTime(100);
        target_time = sourceTime(200);
        source_wins = false;
    }
    SECTION("conflict = source: the source's, though the copy's is later") {
        f.route.conflict = ConflictRule::Source;
        source_time = sourceTime(100);
        target_time = sourceTime(200);
    }
    (void)f.pass();
    (void)f.pass();
    f.source.editTask(f.review, source_time, 0, TaskOwnerFixture::kSourceLee);
    f.target.setTaskOwnerAsAnalyst(f.copyTask("Review"), target_time, f.sam);
    // sam is not on the source: make him, so that either side can win.
    f.source.addUser(5, "sam");
    const auto result = f.pass();
    CHECK(result.counts.conflicts_source_won == (source_wins ? 1 : 0));
    CHECK(result.counts.conflicts_target_won == (source_wins ? 0 : 1));
    (void)f.pass();
    CHECK(f.sourceOwner(f.review) == (source_wins ? TaskOwnerFixture::kSourceLee : 5));
    CHECK(f.copyOwner("Review") == (source_wins ? f.lee : f.sam));
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);
}

TEST_CASE("Two-way: a note written on a copy's task reaches the source's task once",
          "[sync][mirror]") {
    TaskFixture f;
    (void)f.pass();
    (void)f.pass();
    const auto note =
        f.target.addTaskNoteAsAnalyst(f.copyTask("Review"), sourceTime(100), "checked the headers");
    const auto result = f.pass();
    CHECK(result.counts.notes_mirrored == 1);
    std::vector<std::string> notes;
    f.source.forEachTaskNote(f.review, [&](soar::sync::SourceItem& item) {
        notes.push_back(item.body->getValue<std::string>("content"));
    });
    REQUIRE(notes.size() == 1);
    CHECK_THAT(notes[0], Catch::StartsWith("checked the headers") &&
                             Catch::Contains("[soar-sync:dst:note:" + std::to_string(note) + "]"));
    // Not among the container's notes, and not copied back to the task it came from.
    CHECK(f.target.taskNotesIn(f.copyTask("Review")).size() == 1);
    CHECK(f.writesOfPass() == 0);
    CHECK(f.writesOfPass() == 0);
}
