// parsePage() of PocoSoarApi.h: one list answer's body to a Page, apart from the transport so
// that unit tests and the fuzz-page target run the very code listPage() runs.

#include "AnswerBody.h"
#include "JsonSkim.h"
#include "soar/client/Errors.h"
#include "soar/client/JsonTree.h"
#include "soar/client/PocoSoarApi.h"

#include <Poco/Exception.h>

namespace soar::sync {
namespace {

/// How deep Poco's JSON parser nests (its default), the list envelope included.
constexpr std::size_t kMaxJsonDepth = 128;

/// `count` or `num_pages` of a list answer: 0 when absent or null (not sent). A whole number
/// (JSON integer, numeric string, or a float without a fraction) of 0 or more passes.
std::int64_t pageNumber(const Poco::JSON::Object& object, const std::string& key,
                        const PageSource& source) {
    if (!object.has(key)) return 0;
    const auto value = object.get(key);
    if (value.isEmpty()) return 0;
    const auto number = parseId(value);
    if (!number || *number < 0) {
        throwShape(source.what, value, source.http_status,
                   "a whole number of 0 or more in \"" + key + "\"", source.secret.reveal());
    }
    return *number;
}

}  // namespace

Page parsePage(const std::string& body, const PageSource& source) {
    const std::string& secret = source.secret.reveal();
    const int status = source.http_status;
    Poco::Dynamic::Var json;
    try {
        json = parseJson(body, source.shape);
    } catch (const Poco::Exception&) {
        // JSON the parser will not take (too deep, invalid UTF-8, ...) is named for what it
        // is, with what can be read of its first record; anything else is not JSON.
        auto skim = skimList(body, kMaxJsonDepth);
        if (!skim.problem.empty() && skim.problem.rfind("not JSON", 0) != 0) {
            throw UnreadablePage(source.what + ": the answer (HTTP " + std::to_string(status) +
                                     ") cannot be read: " + skim.problem,
                                 skim.problem, status, std::move(skim.first));
        }
        throw ProtocolError(source.what + ": the answer (HTTP " + std::to_string(status) +
                                ") is not JSON: '" + snippetOf(body, secret) + "'",
                            status);
    }
    const auto object = asObject(json);
    if (!object) throwShape(source.what, json, status, "a list object", secret);
    Page page;
    if (isPastEnd(object)) {
        page.past_end = true;
        return page;
    }
    if (isFailed(object)) {
        const std::string message = scrubbed(stringField(object, "message"), secret);
        throw RecordError(source.what + ": failed (HTTP " + std::to_string(status) + ")" +
                              (message.empty() ? "" : ": " + message),
                          status, message);
    }
    const auto data = object->getArray("data");
    if (!data) throwShape(source.what, json, status, "a list with \"data\"", secret);
    page.count = pageNumber(*object, "count", source);
    page.num_pages = pageNumber(*object, "num_pages", source);
    page.records.reserve(data->size());
    for (std::size_t i = 0; i < data->size(); ++i) {
        auto record = data->getObject(static_cast<unsigned>(i));
        if (!record) {
            throwShape(source.what, data->get(static_cast<unsigned>(i)), status,
                       "objects in \"data\" (item " + std::to_string(i) + ")", secret);
        }
        page.records.push_back(std::move(record));
    }
    return page;
}

}  // namespace soar::sync
