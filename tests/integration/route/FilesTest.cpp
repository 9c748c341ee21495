// Vault files between two emulators over HTTP, through the real client and a real state file
// (design.md §5, "Complete copies"): each copy holds its source container's files byte for
// byte, once each, whichever way the target answers a second upload of the same bytes, also
// after the state file is deleted; a file over the limit is dead-lettered; an idle pass
// writes nothing.

#include "SyncHarness.h"
#include "support/FakeSource.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>

using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::sync::PassOutcome;
using soar::test::seeded;
using soar::test::sha1Hex;
using soar::test::SyncHarness;

namespace {

Poco::JSON::Array::Ptr list(const Emulator& emulator, const std::string& type) {
    const auto response = emulator.direct("GET", "/rest/" + type + "?page_size=0&sort=id");
    REQUIRE(response.status == 200);
    return Poco::JSON::Parser()
        .parse(response.body)
        .extract<Poco::JSON::Object::Ptr>()
        ->getArray("data");
}

/// (name, SHA-1) of every file, by source container id: the source's own by container id,
/// a target's by the source container its copy's sdi names.
using Files = std::map<std::int64_t, std::multiset<std::pair<std::string, std::string>>>;

Files filesOf(const Emulator& emulator, bool target) {
    std::map<std::int64_t, std::int64_t> source_of;  // target container id -> source id
    if (target) {
        const auto containers = list(emulator, "container");
        const std::string prefix = "soar-sync:src:";
        for (std::size_t i = 0; i < containers->size(); ++i) {
            const auto c = containers->getObject(static_cast<unsigned>(i));
            const auto sdi = c->getValue<std::string>("source_data_identifier");
            if (sdi.rfind(prefix, 0) == 0) {
                source_of[c->getValue<std::int64_t>("id")] = std::stoll(sdi.substr(prefix.size()));
            }
        }
    }
    Files out;
    const auto files = list(emulator, "container_attachment");
    for (std::size_t i = 0; i < files->size(); ++i) {
        const auto f = files->getObject(static_cast<unsigned>(i));
        auto container = f->getValue<std::int64_t>("container_id");
        if (target) container = source_of.at(container);
        out[container].emplace(f->getValue<std::string>("name"),
                               f->getValue<std::string>("vault_id"));
    }
    return out;
}

std::string download(const Emulator& emulator, const std::string& sha1) {
    const auto response = emulator.direct("GET", "/rest/download_attachment?vault_id=" + sha1);
    REQUIRE(response.status == 200);
    return response.body;
}

std::string bytesOf(std::size_t size, unsigned seed) {
    std::string out(size, '\0');
    unsigned x = seed * 2654435761U + 1U;
    for (auto& c : out) {
        x = x * 1103515245U + 12345U;
        c = static_cast<char>(x >> 24U);
    }
    return out;
}

}  // namespace

TEST_CASE(
    "Files: each copy holds its container's files byte for byte, once, also after the "
    "state file is lost",
    "[integration][files]") {
    const bool dedup = GENERATE(false, true);
    const bool no_vault_id = GENERATE(false, true);
    DYNAMIC_SECTION("dedup " << dedup << ", answer without vault_id " << no_vault_id) {
        auto target_options = seeded(0, 0, 0);
        target_options.attachment_dedup = dedup;
        target_options.attachment_answer_without_vault_id = no_vault_id;
        auto route = soar::test::testRoute();
        route.attachments = true;
        route.attachment_max_size = 256U << 10U;
        SyncHarness h(seeded(7, 3, 1), target_options, route);
        const auto ids = list(h.source, "container");
        REQUIRE(ids->size() == 3);
        const auto c1 = ids->getObject(0)->getValue<std::int64_t>("id");
        const auto c2 = ids->getObject(1)->getValue<std::int64_t>("id");
        const auto c3 = ids->getObject(2)->getValue<std::int64_t>("id");
        const auto shared = bytesOf(100'000, 1);
        (void)h.source.addAttachment(c1, "report.pdf", shared);
        (void)h.source.addAttachment(c1, "report.pdf", bytesOf(2'000, 2));  // same name
        (void)h.source.addAttachment(c2, "evidence.bin", shared);           // same bytes
        const auto big = h.source.addAttachment(c3, "memory.dmp", bytesOf(300'000, 3));
        (void)h.source.addAttachment(c3, "notes.txt", "plain text\n");

        const auto first = h.pass();
        CHECK(first.outcome == PassOutcome::RecordErrors);
        CHECK(first.counts.files_copied == 4);
        CHECK(first.counts.file_bytes == 100'000 + 2'000 + 100'000 + 11);
        const auto letters = h.store->deadLetters({route.name, "dst"});
        REQUIRE(letters.size() == 1);
        CHECK(letters[0].kind == soar::state::RecordKind::Attachment);
        CHECK(letters[0].source_id == big);
        CHECK(letters[0].message == "the file 'memory.dmp' (" + sha1Hex(bytesOf(300'000, 3)) +
                                        ") is 300000 bytes, above attachment_max_size (262144 "
                                        "bytes): not copied");

        auto expected = filesOf(h.source, false);
        expected[c3].erase({"memory.dmp", sha1Hex(bytesOf(300'000, 3))});
        CHECK(filesOf(h.target, true) == expected);
        CHECK(download(h.target, sha1Hex(shared)) == shared);
        CHECK(h.target.attachmentCount() == 4);

        // A file added later to a copied container comes through the files stream.
        (void)h.source.addAttachment(c2, "later.log", bytesOf(5'000, 4));
        const auto later = h.pass();
        CHECK(later.counts.files_copied == 1);
        expected = filesOf(h.source, false);
        expected[c3].erase({"memory.dmp", sha1Hex(bytesOf(300'000, 3))});
        CHECK(filesOf(h.target, true) == expected);

        // Idle: nothing is written.
        const auto idle = h.pass();
        CHECK(idle.outcome == PassOutcome::Ok);
        const auto& c = idle.counts;
        CHECK(c.containers_created + c.containers_updated + c.artifacts_created +
                  c.artifacts_updated + c.files_copied ==
              0);
        CHECK(h.target.attachmentCount() == 5);

        // The state file is lost: every file is found on the copies by SHA-1, none sent again.
        h.reopenStore(true);
        const auto again = h.pass();
        CHECK(again.counts.files_copied == 0);
        CHECK(h.target.attachmentCount() == 5);
        CHECK(filesOf(h.target, true) == expected);
        CHECK(h.store->mappingCounts({route.name, "dst"}).files == 5);
        // The scratch folder holds no file afterwards.
        for (const auto& entry : std::filesystem::directory_iterator(h.dir.path() / "state")) {
            CHECK(entry.path().filename().string().rfind(".soar-sync-file-", 0) != 0);
        }
    }
}

TEST_CASE("Files: a note's references to files name the files' copies on the target",
          "[integration][files]") {
    auto route = soar::test::testRoute();
    route.attachments = true;
    route.notes = true;
    route.attachment_max_size = 64U << 10U;
    SyncHarness h(seeded(9, 1, 0), seeded(0, 0, 0), route);
    const auto container = list(h.source, "container")->getObject(0)->getValue<std::int64_t>("id");
    const auto pcap = h.source.addAttachment(container, "capture.pcap", bytesOf(4'000, 5));
    const auto huge = h.source.addAttachment(container, "disk.img", bytesOf(100'000, 6));
    const auto note = h.source.direct(
        "POST", "/rest/note",
        R"({"container_id": )" + std::to_string(container) +
            R"(, "title": "capture", "content": "see the files", "attachments": [)" +
            std::to_string(pcap) + ", " + std::to_string(huge) + "]}");
    REQUIRE(note.status == 200);
    // The emulator, like SOAR, takes only files of the note's own container.
    CHECK(h.source
              .direct("POST", "/rest/note",
                      R"({"container_id": )" + std::to_string(container) +
                          R"(, "title": "x", "content": "y", "attachments": [999]})")
              .status == 400);

    CHECK(h.pass().counts.files_copied == 1);
    const auto files = list(h.target, "container_attachment");
    REQUIRE(files->size() == 1);
    const auto copy = files->getObject(0)->getValue<std::int64_t>("id");
    const auto notes = list(h.target, "note");
    REQUIRE(notes->size() == 1);
    const auto refs = notes->getObject(0)->getArray("attachments");
    REQUIRE(refs);
    REQUIRE(refs->size() == 1);  // the file over the limit is not on the target
    CHECK(refs->getElement<std::int64_t>(0) == copy);
}
