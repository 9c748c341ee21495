/// Fuzzes list answers on their way into the sync: the pages a server sends, parsed and checked
/// as PocoSoarApi::listPage does, then walked by keysetWalk() and forEachPage() (sync/Paging.h).
///
/// listPage's parsing is private to sync/src/PocoSoarApi.cpp, so FuzzPageApi repeats its
/// envelope checks over the same Poco JSON parser (`{"count", "num_pages", "data": [objects]}`,
/// `"failed": true` = a page past the end). The input is the server's answers, one per request,
/// separated by lines holding `---`; the walk may only end normally or with a sync::SoarError
/// (a ProtocolError for a server that ignores filters or sorts, or a broken answer). Any other
/// exception escaping, a hang or a memory error is a finding.

#include "soar/sync/Errors.h"
#include "soar/sync/Paging.h"
#include "soar/sync/SoarApi.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using soar::sync::Page;
using soar::sync::ProtocolError;
using soar::sync::Query;
using soar::sync::Record;

/// Answers list requests with the fuzzer's pages in order, then with past-the-end pages. The
/// other calls are never made by a walk. No `override` on purpose: SoarApi gains members while
/// the fuzzer stays the same, and a missing one must fail to compile here rather than warn.
class FuzzPageApi final : public soar::sync::SoarApi {
public:
    explicit FuzzPageApi(std::vector<std::string> answers) : answers_(std::move(answers)) {}

    std::string version() { return "6.4.0"; }

    Page listPage(const std::string& /*path*/, const Query& query, std::size_t /*page*/) {
        static_cast<void>(query.toQueryString(0));
        Page result;
        if (next_ >= answers_.size()) {
            result.past_end = true;
            return result;
        }
        const std::string& body = answers_[next_++];
        Poco::JSON::Object::Ptr object;
        try {
            object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            throw ProtocolError("not JSON: " + e.displayText());
        }
        if (!object) throw ProtocolError("expected a list object");
        if (object->has("failed") && object->get("failed").isBoolean() &&
            object->getValue<bool>("failed")) {
            result.past_end = true;
            return result;
        }
        const auto data = object->getArray("data");
        if (!data) throw ProtocolError("expected a list with \"data\"");
        result.count = soar::sync::parseId(object->get("count")).value_or(0);
        result.num_pages = soar::sync::parseId(object->get("num_pages")).value_or(0);
        for (std::size_t i = 0; i < data->size(); ++i) {
            auto record = data->getObject(static_cast<unsigned>(i));
            if (!record) throw ProtocolError("expected objects in \"data\"");
            result.records.push_back(std::move(record));
        }
        return result;
    }

    Record getObject(const std::string& /*path*/) { return new Poco::JSON::Object; }
    std::optional<Record> get(const std::string& /*collection*/, std::int64_t /*id*/) {
        return std::nullopt;
    }
    soar::sync::CreateResult createContainer(const Poco::JSON::Object& /*container*/) { return {}; }
    void updateContainer(std::int64_t /*id*/, const Poco::JSON::Object& /*fields*/) {}
    soar::sync::CreateResult createArtifact(const Poco::JSON::Object& /*artifact*/) { return {}; }
    std::vector<soar::sync::BatchItemResult> createArtifacts(const Poco::JSON::Array& /*items*/) {
        return {};
    }
    void updateArtifact(std::int64_t /*id*/, const Poco::JSON::Object& /*fields*/) {}
    soar::sync::CreateResult createNote(const Poco::JSON::Object& /*note*/) { return {}; }
    soar::sync::CreateResult createComment(const Poco::JSON::Object& /*comment*/) { return {}; }
    void updateNote(std::int64_t /*id*/, const Poco::JSON::Object& /*fields*/) {}
    std::optional<soar::sync::PlaybookInfo> findPlaybook(const std::string& /*spec*/) {
        return std::nullopt;
    }
    std::int64_t runPlaybook(const soar::sync::PlaybookRunRequest& /*request*/) { return 0; }
    soar::sync::PlaybookRunStatus playbookRun(std::int64_t /*run_id*/) { return {}; }
    void cancelPlaybookRun(std::int64_t /*run_id*/) {}

private:
    std::vector<std::string> answers_;
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
        } catch (const soar::sync::SoarError&) {
            // Refused as a broken answer: the documented outcome.
        }
    }
    FuzzPageApi api(answers);
    try {
        static_cast<void>(soar::sync::forEachPage(
            api, "container", base, [](const Page& page) { return page.records.size() < 1000; },
            limits));
    } catch (const soar::sync::SoarError&) {
    }
    return 0;
}
