// Deletions reconciled on the fakes (design.md §5; soar-api-more.md §5): every
// reconcile_interval the mapped ids are asked of the source a page at a time; a container it no
// longer has is kept, closed (with one comment) or deleted on the target by on_source_delete,
// its mapping buried under a tombstone; a reconcile interrupted resumes where it was; a source id
// reused later gets a new copy.

#include "EngineFixture.h"
#include "soar/client/Errors.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace {

using soar::state::DeletionAction;
using soar::state::RecordKind;
using soar::sync::OnSourceDelete;
using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::FakeSource;
using soar::test::FakeTarget;
using soar::test::sourceTime;

struct DeletionFixture : EngineFixture {
    std::vector<std::int64_t> ids;

    explicit DeletionFixture(int containers = 5) {
        route.reconcile_interval = std::chrono::minutes(10);
        for (int i = 0; i < containers; ++i) ids.push_back(source.addContainer(sourceTime(i)));
        REQUIRE(pass().outcome == PassOutcome::Ok);  // copies made; the first reconcile ran empty
    }
    [[nodiscard]] std::int64_t copyOf(std::int64_t id) const {
        return target.containerBySdi(sdi(id)).value();
    }
    /// The next pass, once a reconcile is due; the source's `existing` requests it made.
    std::int64_t reconcilePass(PassOutcome expected = PassOutcome::Ok) {
        clock->advance(route.reconcile_interval);
        source.resetCounts();
        last = pass();
        REQUIRE(last.outcome == expected);
        return source.calls(FakeSource::Call::Existing);
    }
    soar::sync::PassResult last;
};

}  // namespace

TEST_CASE("Deletions: keep records a deleted container, leaves its copy, costs one request a page",
          "[sync][deletions]") {
    DeletionFixture f;
    const auto gone = f.ids[1];
    const auto copy = f.copyOf(gone);
    f.source.removeContainer(gone);
    f.source.removeContainer(f.ids[3]);

    // Not due yet: nothing is asked.
    f.source.resetCounts();
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.source.calls(FakeSource::Call::Existing) == 0);

    CHECK(f.reconcilePass() == 1);  // 5 mappings, page_size 50
    CHECK(f.last.counts.deletions_found == 2);
    CHECK(f.target.container(copy).has_value());  // kept
    CHECK_FALSE(f.store.containerMapping(f.key, gone).has_value());
    const auto tombstones = f.store.tombstones(f.key);
    REQUIRE(tombstones.size() == 2);
    CHECK(tombstones[0].source_id == gone);
    CHECK(tombstones[0].target_id == copy);
    CHECK(tombstones[0].action == DeletionAction::Kept);
    const auto state = f.store.reconcileState(f.key);
    REQUIRE(state);
    CHECK_FALSE(state->started_at.has_value());
    CHECK(state->last_checked == 5);
    CHECK(state->last_requests == 1);
    CHECK(state->last_found == 2);
    CHECK_THAT(f.logs.all(), Catch::Contains("source container " + std::to_string(gone) +
                                             " was deleted on src; its copy " +
                                             std::to_string(copy) + " on dst is kept"));

    // The next reconcile checks the 3 left and finds nothing.
    CHECK(f.reconcilePass() == 1);
    CHECK(f.last.counts.deletions_found == 0);
    CHECK(f.store.reconcileState(f.key)->last_checked == 3);
}

TEST_CASE("Deletions: a reconcile costs one request per page_size mapped containers",
          "[sync][deletions]") {
    DeletionFixture f(120);
    CHECK(f.reconcilePass() == 3);  // 50 + 50 + 20
    f.route.page_size = 200;
    CHECK(f.reconcilePass() == 1);
}

TEST_CASE("Deletions: close sets the copy closed with one comment, also when retried",
          "[sync][deletions]") {
    DeletionFixture f;
    f.route.on_source_delete = OnSourceDelete::Close;
    const auto gone = f.ids[2];
    const auto copy = f.copyOf(gone);
    SECTION("once") {}
    SECTION("after a crash that closed and commented, but lost the tombstone") {
        Poco::JSON::Object closed;
        closed.set("status", "closed");
        f.target.updateContainer(copy, closed);
        Poco::JSON::Object comment;
        comment.set("container_id", copy);
        comment.set("comment", "The source container " + std::to_string(gone) +
                                   " on src was deleted (written before a crash). "
                                   "[soar-sync:src:deleted:" +
                                   std::to_string(gone) + "]");
        (void)f.target.createComment(comment);
    }
    f.source.removeContainer(gone);
    (void)f.reconcilePass();
    CHECK(f.last.counts.deletions_found == 1);
    CHECK(f.last.counts.copies_closed == 1);
    CHECK((*f.target.container(copy))->getValue<std::string>("status") == "closed");
    const auto comments = f.target.notesIn(RecordKind::Comment, copy);
    REQUIRE(comments.size() == 1);
    CHECK_THAT(
        comments[0],
        Catch::Contains("The source container " + std::to_string(gone) + " on src was deleted") &&
            Catch::Contains("[soar-sync:src:deleted:" + std::to_string(gone) + "]"));
    CHECK(f.store.tombstones(f.key).at(0).action == DeletionAction::Closed);
    // Other copies untouched.
    CHECK((*f.target.container(f.copyOf(f.ids[0])))->getValue<std::string>("status") == "new");
}

TEST_CASE("Deletions: delete removes the copy, and one already gone is fine", "[sync][deletions]") {
    DeletionFixture f;
    f.route.on_source_delete = OnSourceDelete::Delete;
    const auto copy1 = f.copyOf(f.ids[0]);
    const auto copy4 = f.copyOf(f.ids[4]);
    REQUIRE(f.target.deleteContainer(copy4));  // someone deleted this copy already
    f.source.removeContainer(f.ids[0]);
    f.source.removeContainer(f.ids[4]);
    (void)f.reconcilePass();
    CHECK(f.last.counts.deletions_found == 2);
    CHECK(f.last.counts.copies_deleted == 1);
    CHECK_FALSE(f.target.container(copy1).has_value());
    const auto tombstones = f.store.tombstones(f.key);
    REQUIRE(tombstones.size() == 2);
    CHECK(tombstones[0].action == DeletionAction::Deleted);
    CHECK(tombstones[1].action == DeletionAction::Gone);
    CHECK(f.store.status(f.key).tombstones.at(DeletionAction::Deleted) == 1);
}

TEST_CASE("Deletions: a token the target refuses DELETE with stops the pass, and loses nothing",
          "[sync][deletions]") {
    DeletionFixture f;
    f.route.on_source_delete = OnSourceDelete::Delete;
    f.target.refuseDeletes();
    f.source.removeContainer(f.ids[0]);
    (void)f.reconcilePass(PassOutcome::Failing);
    CHECK(f.store.containerMapping(f.key, f.ids[0]).has_value());
    CHECK(f.store.tombstones(f.key).empty());
    // With a user, the same reconcile goes on from where it was.
    f.target.refuseDeletes(false);
    f.source.resetCounts();
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.store.tombstones(f.key).size() == 1);
}

TEST_CASE("Deletions: a reconcile interrupted resumes after the last batch it finished",
          "[sync][deletions]") {
    DeletionFixture f(120);
    f.source.removeContainer(f.ids[10]);
    f.source.removeContainer(f.ids[110]);
    int calls = 0;
    f.source.setHook([&](FakeSource::Call call, std::int64_t) {
        if (call == FakeSource::Call::Existing && ++calls == 2) {
            throw soar::sync::TransientError("[instance.src] HTTP 503 after 5 attempts", 503);
        }
    });
    (void)f.reconcilePass(PassOutcome::Interrupted);
    auto state = f.store.reconcileState(f.key);
    REQUIRE(state);
    REQUIRE(state->started_at.has_value());
    CHECK(state->after_id == f.ids[49]);
    CHECK(state->found == 1);
    f.source.setHook(nullptr);
    // Resumed at once (not at the next interval): batches two and three only.
    f.source.resetCounts();
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.source.calls(FakeSource::Call::Existing) == 2);
    state = f.store.reconcileState(f.key);
    CHECK_FALSE(state->started_at.has_value());
    CHECK(state->last_found == 2);
    CHECK(state->last_checked == 120);
    CHECK(state->last_requests == 3);
}

TEST_CASE("Deletions: a source id reused after a restore gets a new copy, not the old one",
          "[sync][deletions]") {
    DeletionFixture f;
    const auto reused = f.ids[1];
    const auto old_copy = f.copyOf(reused);
    f.source.removeContainer(reused);
    (void)f.reconcilePass();
    REQUIRE(f.store.tombstonesOf(f.key, reused) == 1);

    Poco::JSON::Object::Ptr fields = new Poco::JSON::Object;
    fields->set("name", "a different incident");
    (void)f.source.addContainer(sourceTime(100), fields, reused);
    const auto result = f.pass();
    CHECK(result.counts.containers_created == 1);
    const auto new_copy = f.target.containerBySdi(f.mapper.containerSdi(reused, 2));
    REQUIRE(new_copy);
    CHECK(*new_copy != old_copy);
    CHECK((*f.target.container(*new_copy))->getValue<std::string>("name") ==
          "a different incident");
    CHECK((*f.target.container(old_copy))->getValue<std::string>("name") != "a different incident");
    CHECK(f.store.containerMapping(f.key, reused)->generation == 2);
    // And it is updated as its own from then on.
    f.source.editContainer(reused, sourceTime(200),
                           [](Poco::JSON::Object& c) { c.set("severity", "high"); });
    (void)f.pass();
    CHECK((*f.target.container(*new_copy))->getValue<std::string>("severity") == "high");
    CHECK(f.target.containerBySdi(f.mapper.containerSdi(reused, 2)) == new_copy);
}

TEST_CASE("Deletions: a copy deleted on the target is made again once, logged, never mirrored",
          "[sync][deletions]") {
    DeletionFixture f;
    f.route.mirror_back.status = true;
    f.options.source_side = &f.source;
    f.options.target_side = &f.target;
    const auto id = f.ids[0];
    const auto old_copy = f.copyOf(id);
    REQUIRE(f.target.deleteContainer(old_copy));
    f.source.editContainer(id, sourceTime(50),
                           [](Poco::JSON::Object& c) { c.set("severity", "high"); });
    const auto result = f.pass();
    CHECK(result.counts.containers_created == 1);
    const auto new_copy = f.copyOf(id);
    CHECK(new_copy != old_copy);
    CHECK((*f.target.container(new_copy))->getValue<std::string>("severity") == "high");
    CHECK_THAT(f.logs.all(),
               Catch::Contains("copy " + std::to_string(old_copy) + " of source container " +
                               std::to_string(id) + " is gone from dst; made again as " +
                               std::to_string(new_copy)));
    // The source keeps its container: the deletion is not mirrored.
    CHECK(f.source.container(id).has_value());
    CHECK(f.source.calls(FakeSource::Call::WriteContainer) == 0);
    f.target.resetCounts();
    (void)f.pass();
    CHECK(f.target.calls(FakeTarget::Call::CreateContainer) == 0);
}
