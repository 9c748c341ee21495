// SoarSource::readList and SoarTarget::writeList: custom lists over SOAR's REST API
// (soar-api-more.md §2, `/rest/decided_list`). A list is found by its exact name with a filter
// (a purely numeric name would read as an id in the path), then read or written by id.

#include "SoarRecords.h"
#include "soar/client/Errors.h"
#include "soar/sync/SoarAdapter.h"

namespace soar::sync {
namespace {

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
