// The engine's decisions about vault files (design.md §5, "Complete copies"), on the fakes:
// each file reaches the copy once, by SHA-1, also after the state file is lost; files added
// later come through their own stream; a file over the limit, one whose bytes are not its
// SHA-1's and one the target refuses cost a dead letter each, never the pass.

#include "EngineFixture.h"
#include "soar/client/Errors.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace {

using soar::state::RecordKind;
using soar::state::Stream;
using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::FakeSource;
using soar::test::FakeTarget;
using soar::test::sha1Hex;
using soar::test::sourceTime;

/// A fixture whose route copies files through a scratch folder of its own.
struct FilesFixture : EngineFixture {
    soar::test::TempDir scratch;
    FilesFixture() {
        route.attachments = true;
        options.scratch_dir = scratch.path().string();
    }
    [[nodiscard]] std::int64_t copyOf(std::int64_t source_id) const {
        return target.containerBySdi(sdi(source_id)).value();
    }
    /// name -> bytes of the files on a container's copy.
    [[nodiscard]] std::multimap<std::string, std::string> filesOf(std::int64_t source_id) const {
        std::multimap<std::string, std::string> out;
        for (const auto& f : target.filesIn(copyOf(source_id))) out.emplace(f.name, f.bytes);
        return out;
    }
    [[nodiscard]] bool scratchEmpty() const { return std::filesystem::is_empty(scratch.path()); }
};

std::string bytesOf(std::size_t size, char seed) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        out[i] = static_cast<char>(seed + static_cast<char>(i % 251));
    return out;
}

}  // namespace

TEST_CASE("Engine files: each file reaches the copy byte for byte, once per SHA-1",
          "[engine][unit][files]") {
    FilesFixture f;
    const auto a = f.source.addContainer(sourceTime(0));
    const auto b = f.source.addContainer(sourceTime(1));
    const std::string dump = bytesOf(70'000, 'a');
    const std::string other = bytesOf(5'000, 'x');
    (void)f.source.addAttachment(a, sourceTime(2), "dump.bin", dump);
    // The same name with other bytes is another file; the same bytes under a second name in
    // one container are the same file (SOAR's vault keys content by SHA-1).
    (void)f.source.addAttachment(a, sourceTime(3), "dump.bin", other);
    (void)f.source.addAttachment(a, sourceTime(4), "dump-copy.bin", dump);
    // The same bytes in another container are that container's file too.
    (void)f.source.addAttachment(b, sourceTime(5), "evidence.bin", dump);

    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.files_copied == 3);
    CHECK(result.counts.file_bytes == 70'000 + 5'000 + 70'000);
    CHECK(f.target.calls(FakeTarget::Call::AttachFile) == 3);
    const auto on_a = f.filesOf(a);
    REQUIRE(on_a.size() == 2);
    CHECK(on_a.count("dump.bin") == 2);
    std::multiset<std::string> contents;
    for (const auto& [name, bytes] : on_a) contents.insert(bytes);
    CHECK(contents == std::multiset<std::string>{dump, other});
    const auto on_b = f.filesOf(b);
    REQUIRE(on_b.size() == 1);
    CHECK(on_b.begin()->second == dump);
    CHECK(f.store.mappingCounts(f.key).files == 4);
    CHECK(f.scratchEmpty());

    // Nothing changed: the next passes download and upload nothing.
    f.clock->advance(std::chrono::seconds(30));
    f.target.resetCounts();
    f.source.resetCounts();
    for (int i = 0; i < 2; ++i) {
        const auto idle = f.pass();
        CHECK(idle.outcome == PassOutcome::Ok);
        CHECK(idle.counts.files_copied == 0);
    }
    CHECK(f.target.writes() == 0);
    CHECK(f.source.calls(FakeSource::Call::DownloadFile) == 0);
}

TEST_CASE("Engine files: a file added later comes through its own stream, not a rescan",
          "[engine][unit][files]") {
    FilesFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.source.addAttachment(id, sourceTime(1), "first.txt", "first");
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    REQUIRE(f.filesOf(id).size() == 1);

    (void)f.source.addAttachment(id, sourceTime(20), "later.txt", "added after the copy");
    f.clock->advance(std::chrono::seconds(30));
    f.source.resetCounts();
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.files_copied == 1);
    CHECK(f.source.calls(FakeSource::Call::ForEachItem) == 0);  // no container listed again
    CHECK(f.source.walks(Stream::Attachments) == 1);
    const auto files = f.filesOf(id);
    REQUIRE(files.size() == 2);
    CHECK(files.find("later.txt")->second == "added after the copy");
    const auto cursor = f.cursor(Stream::Attachments);
    REQUIRE(cursor);
    CHECK(cursor->timestamp == sourceTime(20));
}

TEST_CASE("Engine files: after the state file is lost, the copy's files are found by SHA-1",
          "[engine][unit][files]") {
    FilesFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.source.addAttachment(id, sourceTime(1), "a.bin", bytesOf(3'000, 'a'));
    (void)f.source.addAttachment(id, sourceTime(2), "b.bin", bytesOf(4'000, 'b'));
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    REQUIRE(f.target.fileCount() == 2);

    // A new, empty state store: everything is found again on the target, nothing re-sent.
    soar::test::InMemoryStore fresh;
    f.target.resetCounts();
    f.source.resetCounts();
    const auto result =
        soar::sync::TargetSync(f.route, f.options, f.source, f.target, fresh).runPass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(f.target.calls(FakeTarget::Call::AttachFile) == 0);
    CHECK(f.source.calls(FakeSource::Call::DownloadFile) == 0);
    CHECK(f.target.fileCount() == 2);
    CHECK(fresh.mappingCounts(f.key).files == 2);
}

TEST_CASE(
    "Engine files: a file above attachment_max_size is dead-lettered with its size and the "
    "limit, without a download",
    "[engine][unit][files]") {
    FilesFixture f;
    f.route.attachment_max_size = 10'000;
    const auto id = f.source.addContainer(sourceTime(0));
    const auto big = f.source.addAttachment(id, sourceTime(1), "memory.dmp", bytesOf(10'001, 'm'));
    (void)f.source.addAttachment(id, sourceTime(2), "small.txt", bytesOf(10'000, 's'));

    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::RecordErrors);
    CHECK(result.dead_lettered == 1);
    CHECK(result.counts.files_copied == 1);
    CHECK(f.source.calls(FakeSource::Call::DownloadFile) == 1);
    const auto letters = f.store.deadLetters(f.key);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].kind == RecordKind::Attachment);
    CHECK(letters[0].source_id == big);
    CHECK(letters[0].message == "the file 'memory.dmp' (" + sha1Hex(bytesOf(10'001, 'm')) +
                                    ") is 10001 bytes, above attachment_max_size (10000 bytes): "
                                    "not copied");
    // The container and its other file are copied all the same.
    REQUIRE(f.filesOf(id).size() == 1);

    // Met again in the lookback overlap, it is left to retry-dead: no new attempt.
    f.clock->advance(std::chrono::seconds(30));
    const auto again = f.pass();
    CHECK(again.outcome == PassOutcome::Ok);
    CHECK(f.store.deadLetters(f.key).at(0).attempts == 1);

    // With a larger limit, retry-dead copies it and clears its dead letter.
    f.route.attachment_max_size = 20'000;
    const auto retried = f.engine()->retryDead();
    CHECK(retried.outcome == PassOutcome::Ok);
    CHECK(retried.counts.files_copied == 1);
    CHECK(f.store.deadLetters(f.key).empty());
    CHECK(f.filesOf(id).size() == 2);
    CHECK(f.target.fileCount() == 2);
}

TEST_CASE("Engine files: a file whose size lies is stopped at the limit while it downloads",
          "[engine][unit][files]") {
    FilesFixture f;
    f.route.attachment_max_size = 1'000;
    const auto id = f.source.addContainer(sourceTime(0));
    const auto file = f.source.addAttachment(id, sourceTime(1), "small?", "tiny");
    // The vault now holds more bytes than the record says (and than the limit).
    f.source.setFileBytes(sha1Hex("tiny"), bytesOf(5'000, 't'));
    const auto result = f.pass();
    CHECK(result.dead_lettered == 1);
    const auto letters = f.store.deadLetters(f.key);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].source_id == file);
    CHECK_THAT(letters[0].message, Catch::Contains("larger than its size says") &&
                                       Catch::Contains("attachment_max_size (1000 bytes)"));
    CHECK(f.target.fileCount() == 0);
    CHECK(f.scratchEmpty());
}

TEST_CASE("Engine files: bytes that are not the file's SHA-1 are dead-lettered, not attached",
          "[engine][unit][files]") {
    FilesFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    const auto file = f.source.addAttachment(id, sourceTime(1), "report.pdf", "the real report");
    f.source.setFileBytes(sha1Hex("the real report"), "damaged on the source's disk");
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::RecordErrors);
    const auto letters = f.store.deadLetters(f.key);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].source_id == file);
    CHECK_THAT(letters[0].message, Catch::Contains("not the file asked for"));
    CHECK(f.target.fileCount() == 0);
    CHECK(f.target.containerBySdi(f.sdi(id)));
    CHECK(f.scratchEmpty());
}

TEST_CASE("Engine files: a file the target refuses is dead-lettered with the target's message",
          "[engine][unit][files]") {
    FilesFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    const auto refused = f.source.addAttachment(id, sourceTime(1), "huge.iso", "pretend big");
    (void)f.source.addAttachment(id, sourceTime(2), "fine.txt", "fine");
    f.target.refuseIf([](FakeTarget::Call call, const Poco::JSON::Object& body) {
        if (call == FakeTarget::Call::AttachFile &&
            body.getValue<std::string>("file_name") == "huge.iso") {
            return std::optional<std::string>("413 Request Entity Too Large");
        }
        return std::optional<std::string>();
    });
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::RecordErrors);
    const auto letters = f.store.deadLetters(f.key);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].source_id == refused);
    CHECK(letters[0].message == "413 Request Entity Too Large");
    CHECK(f.filesOf(id).size() == 1);
    CHECK(f.scratchEmpty());
}

TEST_CASE("Engine files: a resync looks for the files on the copy and sends none again",
          "[engine][unit][files]") {
    FilesFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.source.addAttachment(id, sourceTime(1), "a.bin", "aaa");
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    f.target.resetCounts();
    const auto result = f.engine()->resyncAll();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(f.target.calls(FakeTarget::Call::FileCopies) == 1);
    CHECK(f.target.calls(FakeTarget::Call::AttachFile) == 0);
    CHECK(f.target.fileCount() == 1);
}

TEST_CASE("Engine files: a route without attachments never reads a file", "[engine][unit][files]") {
    FilesFixture f;
    f.route.attachments = false;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.source.addAttachment(id, sourceTime(1), "a.bin", "aaa");
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.source.walks(Stream::Attachments) == 0);
    CHECK(f.source.calls(FakeSource::Call::DownloadFile) == 0);
    CHECK(f.target.fileCount() == 0);
}
