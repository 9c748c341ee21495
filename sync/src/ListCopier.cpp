#include "ListCopier.h"

#include "soar/client/Errors.h"
#include "soar/sync/CustomLists.h"

#include <Poco/DigestEngine.h>
#include <Poco/Logger.h>
#include <Poco/SHA2Engine.h>

#include <map>
#include <sstream>

namespace soar::sync {

ListCopier::ListCopier(PassScope& pass, std::map<std::string, std::string>& problems)
    : pass_(pass), problems_(problems) {}

std::string canonicalRows(const Poco::JSON::Array& rows) {
    std::ostringstream out;
    rows.stringify(out);
    return out.str();
}

std::optional<std::string> listProblem(const RouteConfig& route, const std::string& name,
                                       const std::optional<Poco::JSON::Array::Ptr>& rows,
                                       const std::string& text) {
    const auto what = "custom list '" + name + "'";
    if (!rows) return what + " does not exist on " + route.source;
    if (text.size() > route.list_max_size) {
        return what + " is " + std::to_string(text.size()) + " bytes, above list_max_size (" +
               std::to_string(route.list_max_size) +
               " bytes), where SOAR would truncate it silently";
    }
    if ((*rows)->size() == 0) {
        return what + " on " + route.source + " has no rows (SOAR keeps at least one)";
    }
    return std::nullopt;
}

void ListCopier::run() {
    std::map<std::string, state::ListCopy> stored;
    for (auto& copy : pass_.store.listCopies(pass_.key)) stored[copy.name] = copy;
    for (const auto& name : pass_.route.lists) {
        if (pass_.cancelled()) return;
        copy(name, stored);
    }
}

void ListCopier::copy(const std::string& name,
                      const std::map<std::string, state::ListCopy>& stored) {
    const auto rows = pass_.source.readList(name);
    const auto text = rows ? canonicalRows(**rows) : std::string();
    if (const auto problem = listProblem(pass_.route, name, rows, text)) {
        fail(name, *problem + (rows ? "; it is not written to " + pass_.key.target
                                    : "; the copy on " + pass_.key.target + " is left as it is"));
        return;
    }
    if (problems_.erase(name) != 0) {
        poco_information(pass_.logger,
                         pass_.where() + "custom list '" + name + "' can be copied again");
    }
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(text);
    const auto hash = Poco::DigestEngine::digestToHex(sha.digest());
    const auto known = stored.find(name);
    if (!pass_.force && known != stored.end() && known->second.content_hash == hash) return;
    try {
        pass_.target.writeList(name, **rows);
    } catch (const RecordError& e) {
        fail(name, "custom list '" + name + "' was refused by " + pass_.key.target + ": " +
                       refusalMessage(e));
        return;
    }
    state::ListCopy copy;
    copy.name = name;
    copy.content_hash = hash;
    copy.rows = static_cast<std::int64_t>((*rows)->size());
    copy.bytes = static_cast<std::int64_t>(text.size());
    copy.written_at = pass_.now();
    pass_.store.recordListCopy(pass_.key, copy);
    ++counts_.lists_written;
    poco_information(pass_.logger, pass_.where() + "custom list '" + name + "' written (" +
                                       std::to_string(copy.rows) +
                                       (copy.rows == 1 ? " row, " : " rows, ") +
                                       std::to_string(text.size()) + " bytes)");
}

void ListCopier::fail(const std::string& name, const std::string& message) {
    ++counts_.lists_failed;
    auto& last = problems_[name];
    if (last == message) {
        poco_debug(pass_.logger, pass_.where() + message);
    } else {
        poco_error(pass_.logger, pass_.where() + message);
        last = message;
    }
    pass_.store.recordError(pass_.key, message, pass_.now());
}

}  // namespace soar::sync
