// SoarSource::readList and SoarTarget::writeList: custom lists over SOAR's REST API
// (soar-api-more.md §2, `/rest/decided_list`). A list is read by its name in the path, one
// request, when the name can be addressed so; a purely numeric name would read as an id, and a
// '/' would split the path on servers that decode it first, so such a list is found by its
// exact name with a filter and then read by id. It is written by id, or created by name.

#include "SoarRecords.h"
#include "soar/client/Errors.h"
#include "soar/sync/SoarAdapter.h"

#include <Poco/URI.h>

#include <algorithm>
#include <cctype>

namespace soar::sync {
namespace {

/// `name` percent-encoded as one path segment, or nullopt when the path cannot address it.
std::optional<std::string> nameSegment(const std::string& name) {
    const bool digits =
        std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    if (name.empty() || digits || name.find('/') != std::string::npos) return std::nullopt;
    std::string segment;
    Poco::URI::encode(name, "!#$&'()*+,/:;=?@[]%\"<>\\^`{|} ", segment);
    return segment;
}

/// The list record of that name (the collection view may leave out its content); nullopt when
/// there is none.
std::optional<Record> findList(SoarApi& api, const std::string& name) {
    Query query;
    query.exact("name", name).pageSize(1);
    const auto page = api.listPage(collection::kList, query, 0);
    if (page.records.empty()) return std::nullopt;
    return page.records.front();
}

/// A list's rows; a 1-D content (SOAR wraps each value into a row) is read the same way.
Poco::JSON::Array::Ptr rowsOf(const Poco::JSON::Object& list, const std::string& name) {
    const auto content = list.getArray("content");
    if (!content) {
        throw ProtocolError("custom list '" + name + "': the answer has no content array");
    }
    Poco::JSON::Array::Ptr rows = new Poco::JSON::Array;
    for (std::size_t i = 0; i < content->size(); ++i) {
        if (content->isArray(static_cast<unsigned>(i))) {
            rows->add(content->get(static_cast<unsigned>(i)));
        } else {
            Poco::JSON::Array::Ptr row = new Poco::JSON::Array;
            row->add(content->get(static_cast<unsigned>(i)));
            rows->add(row);
        }
    }
    return rows;
}

}  // namespace

std::optional<Poco::JSON::Array::Ptr> SoarSource::readList(const std::string& name) {
    if (const auto segment = nameSegment(name)) {
        const auto list = api_.find(std::string(collection::kList) + "/" + *segment);
        if (!list) return std::nullopt;
        // A server that matched the name loosely (another case) answered another list: the
        // exact filter below decides.
        const auto answered = optString(**list, "name");
        if (!answered || *answered == name) return rowsOf(**list, name);
    }
    const auto found = findList(api_, name);
    if (!found) return std::nullopt;
    const auto id = optId(**found, "id");
    if (!id) throw ProtocolError("custom list '" + name + "': the answer has no id");
    const auto list = api_.get(collection::kList, *id);
    if (!list) return std::nullopt;  // deleted in between
    return rowsOf(**list, name);
}

void SoarTarget::writeList(const std::string& name, const Poco::JSON::Array& rows) {
    Poco::JSON::Object body;
    body.set("content", Poco::JSON::Array::Ptr(new Poco::JSON::Array(rows)));
    const auto found = findList(api_, name);
    const auto id = found ? optId(**found, "id") : std::nullopt;
    if (id) {
        api_.updateRecord(collection::kList, *id, body);
        return;
    }
    body.set("name", name);
    (void)api_.createRecord(collection::kList, body);
}

}  // namespace soar::sync
