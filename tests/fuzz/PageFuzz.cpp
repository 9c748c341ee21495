/// Fuzzes list answers on their way into the sync, through the product's own code: every answer
/// is read by sync::parsePage() (PocoSoarApi.h), the function PocoSoarApi::listPage runs on a
/// list body, and the pages are then walked by keysetWalk() and forEachPage() (sync/Paging.h).
///
/// The input is the server's answers, one per request, separated by lines holding `---`.
/// - Each answer alone: parsePage may return a page or throw ProtocolError or RecordError, and
///   nothing else. A returned page must be whole (no null record; past_end only empty, counts
///   never below 0), and an error must name where the answer came from, carry its HTTP status
///   and never quote the instance's secret. Read again with a RecordShape (as artifact pages
///   are), it must give the same outcome and records whose text is that of the whole records
///   with only the members kept (or of the whole records, when Poco's parser read them).
/// - The answers in turn, as the pages of a walk: the walk may only end normally or with
///   ProtocolError (a broken answer, or a server that ignores filters or sorts) or RecordError
///   (a failure answer). The walk does not know the secret, and its errors may quote record
///   fields, so only parsePage's errors are checked for it.
/// Any other exception escaping, a broken check (abort), a hang, a memory error or undefined
/// behaviour is a finding.

#include "soar/client/Errors.h"
#include "soar/client/JsonText.h"
#include "soar/client/JsonTree.h"
#include "soar/client/Paging.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/client/SoarApi.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

using soar::sync::Page;
using soar::sync::PageSource;
using soar::sync::parsePage;
using soar::sync::ProtocolError;
using soar::sync::Query;
using soar::sync::Record;
using soar::sync::RecordError;

constexpr int kStatus = 200;
/// The seeds hold it in several places: a message that quotes it is a finding.
constexpr const char* kSecret = "fuzz-Secret-7/+=";
constexpr const char* kWhat = "[instance.fuzz] GET /rest/container";

const PageSource& source() {
    static const PageSource kSource{kWhat, kStatus, soar::sync::Secret(kSecret)};
    return kSource;
}

void check(bool ok, const char* what, const std::string& detail) {
    if (ok) return;
    std::fprintf(stderr, "PageFuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

void checkError(const soar::sync::SoarError& e) {
    const std::string text = e.what();
    check(text.rfind(std::string(kWhat) + ": ", 0) == 0, "message does not name the source", text);
    check(text.find(kSecret) == std::string::npos, "message quotes the secret", text);
    check(e.httpStatus() == kStatus, "error without the answer's status", text);
}

/// The shape the check of shaped reads uses: members the seeds' records have, objects as text.
const soar::sync::RecordShape& shape() {
    static const soar::sync::RecordShape kShape{{"cef", "data", "id", "name", "tags"}, true};
    return kShape;
}

const PageSource& shapedSource() {
    static const PageSource kSource{kWhat, kStatus, soar::sync::Secret(kSecret), &shape()};
    return kSource;
}

/// What parsePage makes of `body` read with shape(): its error, or empty when it reads it.
std::string shapedError(const std::string& body) {
    try {
        static_cast<void>(parsePage(body, shapedSource()));
        return {};
    } catch (const soar::sync::SoarError& e) {
        return e.what();
    }
}

/// `body` read with shape() agrees with `whole`, the page parsePage read of it without one.
void checkShaped(const std::string& body, const Page& whole) {
    const Page shaped = parsePage(body, shapedSource());
    check(shaped.records.size() == whole.records.size() && shaped.count == whole.count &&
              shaped.num_pages == whole.num_pages && shaped.past_end == whole.past_end,
          "a shaped read gives another page", body);
    for (std::size_t i = 0; i < whole.records.size(); ++i) {
        Poco::JSON::Object kept(*whole.records[i]);
        for (const auto& [key, value] : *whole.records[i]) {
            const auto& names = shape().members;
            if (std::find(names.begin(), names.end(), key) == names.end()) kept.remove(key);
        }
        const auto text = soar::sync::jsonText(*shaped.records[i]);
        check(text == soar::sync::jsonText(kept) || text == soar::sync::jsonText(*whole.records[i]),
              "a shaped record differs from the whole one", body);
    }
}

/// One answer through parsePage, with the checks of its contract.
void parseOne(const std::string& body) {
    try {
        const Page page = parsePage(body, source());
        checkShaped(body, page);
        check(page.count >= 0 && page.num_pages >= 0, "negative count or num_pages", body);
        if (page.past_end) {
            check(page.records.empty() && page.count == 0 && page.num_pages == 0,
                  "past_end page with content", body);
        }
        for (const auto& record : page.records) {
            check(!record.isNull(), "null record", body);
            static_cast<void>(record->size());
        }
    } catch (const ProtocolError& e) {
        checkError(e);
        check(shapedError(body) == e.what(), "a shaped read fails otherwise", body);
    } catch (const RecordError& e) {
        checkError(e);
        check(shapedError(body) == e.what(), "a shaped read fails otherwise", body);
        check(e.serverMessage().find(kSecret) == std::string::npos,
              "server message keeps the secret", e.serverMessage());
    }
}

/// Answers list requests with the fuzzer's pages, read by parsePage, in order, then with
/// past-the-end pages. The other calls are never made by a walk. No `override` on purpose:
/// SoarApi gains members while the fuzzer stays the same, and a missing one must fail to
/// compile here rather than warn.
class FuzzPageApi final : public soar::sync::SoarApi {
public:
    explicit FuzzPageApi(const std::vector<std::string>& answers) : answers_(answers) {}

    std::string version() { return "6.4.0"; }

    Page listPage(const std::string& /*path*/, const Query& query, std::size_t /*page*/) {
        static_cast<void>(query.toQueryString(0));
        if (next_ >= answers_.size()) {
            Page past_end;
            past_end.past_end = true;
            return past_end;
        }
        return parsePage(answers_[next_++], source());
    }

    Record getObject(const std::string& /*path*/) { return new Poco::JSON::Object; }
    std::optional<Record> find(const std::string& /*path*/) { return std::nullopt; }
    std::optional<Record> get(const std::string& /*collection*/, std::int64_t /*id*/) {
        return std::nullopt;
    }
    soar::sync::ContainerCreated createContainer(const Poco::JSON::Object& /*container*/) {
        return {};
    }
    void updateContainer(std::int64_t /*id*/, const Poco::JSON::Object& /*fields*/) {}
    soar::sync::CreateResult createArtifact(const Poco::JSON::Object& /*artifact*/) { return {}; }
    std::vector<soar::sync::BatchItemResult> createArtifacts(const Poco::JSON::Array& /*items*/) {
        return {};
    }
    void updateArtifact(std::int64_t /*id*/, const Poco::JSON::Object& /*fields*/) {}
    soar::sync::CreateResult createNote(const Poco::JSON::Object& /*note*/) { return {}; }
    soar::sync::CreateResult createComment(const Poco::JSON::Object& /*comment*/) { return {}; }
    void updateNote(std::int64_t /*id*/, const Poco::JSON::Object& /*fields*/) {}
    std::int64_t createRecord(const std::string& /*collection*/,
                              const Poco::JSON::Object& /*body*/) {
        return 0;
    }
    void updateRecord(const std::string& /*collection*/, std::int64_t /*id*/,
                      const Poco::JSON::Object& /*fields*/) {}
    bool deleteRecord(const std::string& /*collection*/, std::int64_t /*id*/) { return false; }
    std::optional<soar::sync::PlaybookInfo> findPlaybook(const std::string& /*spec*/) {
        return std::nullopt;
    }
    std::int64_t runPlaybook(const soar::sync::PlaybookRunRequest& /*request*/) { return 0; }
    soar::sync::PlaybookRunStatus playbookRun(std::int64_t /*run_id*/) { return {}; }
    void cancelPlaybookRun(std::int64_t /*run_id*/) {}
    std::uint64_t downloadFile(const std::string& /*sha1*/, const std::string& /*path*/,
                               std::uint64_t /*max_bytes*/) {
        return 0;
    }
    std::int64_t attachFile(std::int64_t /*container*/, const std::string& /*name*/,
                            const std::string& /*path*/, const std::string& /*sha1*/) {
        return 0;
    }

private:
    const std::vector<std::string>& answers_;
    std::size_t next_ = 0;
};

std::vector<std::string> splitAnswers(const std::string& input) {
    static const std::string kSeparator = "\n---\n";
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto at = input.find(kSeparator, start);
        out.push_back(
            input.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) return out;
        start = at + kSeparator.size();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto answers = splitAnswers(input);
    for (const auto& answer : answers) parseOne(answer);

    // Small limits: the fuzzer's pages run out long before; a walk that keeps asking is a
    // ProtocolError, which must come out as one.
    soar::sync::PagingLimits limits;
    limits.max_requests = 64;
    const auto base = Query().exact("label", "events").pageSize(3);

    for (const char* field : {"create_time", "container_update_time"}) {
        FuzzPageApi api(answers);
        try {
            std::size_t seen = 0;
            const auto result = soar::sync::keysetWalk(
                api, "container", field, base, soar::sync::KeysetCursor::after(""),
                [&](const Record& record, const soar::sync::KeysetCursor&) {
                    static_cast<void>(record->size());
                    return ++seen < 1000;
                },
                limits);
            static_cast<void>(result.end.timestamp.size());
        } catch (const ProtocolError&) {
            // A broken answer, or a server that ignores the filter or the sort.
        } catch (const RecordError&) {
            // A failure answer.
        }
    }
    FuzzPageApi api(answers);
    try {
        static_cast<void>(soar::sync::forEachPage(
            api, "container", base, [](const Page& page) { return page.records.size() < 1000; },
            limits));
    } catch (const ProtocolError&) {
    } catch (const RecordError&) {
    }
    return 0;
}
