// Custom lists (soar-api-more.md §2): /rest/decided_list, rows of simple values addressed by
// name or id, created, replaced or edited row by row, deleted with a token too.

#include "Model.h"

#include <Poco/URI.h>
#include <Poco/UTF8Encoding.h>

#include <algorithm>
#include <stdexcept>

namespace soar::emulator {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const char* const kOneRowRemains = "at least one row must remain";

/// The segments of a raw path, each percent-decoded (an encoded '/' stays in its segment).
std::vector<std::string> decodedSegments(const std::string& raw) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= raw.size()) {
        const std::size_t slash = std::min(raw.find('/', start), raw.size());
        if (slash > start) {
            std::string part;
            Poco::URI::decode(raw.substr(start, slash - start), part);
            parts.push_back(std::move(part));
        }
        start = slash + 1;
    }
    return parts;
}

/// `text` if it is valid UTF-8, else with every byte above 0x7F shown as '?': a path
/// segment quoted in an answer keeps the answer valid JSON.
std::string quotable(const std::string& text) {
    const Poco::UTF8Encoding utf8;
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    for (std::size_t i = 0; i < text.size();) {
        const int left = static_cast<int>(std::min<std::size_t>(text.size() - i, 8));
        const int n = utf8.sequenceLength(bytes + i, left);
        if (n <= 0 || n > left || !Poco::UTF8Encoding::isLegal(bytes + i, n)) {
            std::string out = text;
            for (char& c : out) {
                c = static_cast<unsigned char>(c) < 0x80 ? c : '?';
            }
            return out;
        }
        i += static_cast<std::size_t>(n);
    }
    return text;
}

bool isSimple(const Var& value) {
    return value.isEmpty() ||
           (value.type() != typeid(Object::Ptr) && value.type() != typeid(Array::Ptr));
}

/// One row of a write: an array of simple values, or one simple value as a one-cell row.
Array::Ptr toRow(const Var& value, const std::string& key) {
    if (isSimple(value)) {
        Array::Ptr row = new Array;
        row->add(value);
        return row;
    }
    if (value.type() != typeid(Array::Ptr)) {
        throw ApiError(400, "Invalid " + key + ": a row is a list of simple values, not an object");
    }
    const Array::Ptr cells = value.extract<Array::Ptr>();
    for (std::size_t i = 0; i < cells->size(); ++i) {
        if (!isSimple(cells->get(static_cast<unsigned int>(i)))) {
            throw ApiError(400, "Invalid " + key +
                                    ": a cell must be a simple value (string, "
                                    "number, boolean or null), not a list or an object");
        }
    }
    return new Array(*cells);
}

/// The rows of a 2-D array; values of the top-level array that are not arrays become
/// one-cell rows. Throws ApiError(400) when `value` is not an array.
std::vector<Array::Ptr> toRows(const Var& value, const std::string& key) {
    if (value.isEmpty() || value.type() != typeid(Array::Ptr)) {
        throw ApiError(400, "Invalid " + key + ": expected a list of rows");
    }
    const Array::Ptr top = value.extract<Array::Ptr>();
    std::vector<Array::Ptr> rows;
    rows.reserve(top->size());
    for (std::size_t i = 0; i < top->size(); ++i) {
        rows.push_back(toRow(top->get(static_cast<unsigned int>(i)), key));
    }
    return rows;
}

std::vector<Array::Ptr> rowsOf(const Object& record) {
    std::vector<Array::Ptr> rows;
    const Array::Ptr content = record.getArray("content");
    for (std::size_t i = 0; i < content->size(); ++i) {
        rows.push_back(content->getArray(static_cast<unsigned int>(i)));
    }
    return rows;
}

/// A 0-based row index (a JSON integer or a decimal string) below `size`; ApiError(400)
/// otherwise.
std::size_t rowIndex(const Var& value, std::size_t size, const std::string& key) {
    const auto index = asId(value);
    if (!index || *index < 0) {
        throw ApiError(400, "Invalid " + key + ": '" + value.toString() + "' is not a row index");
    }
    const auto i = static_cast<std::size_t>(*index);
    if (i >= size) {
        throw ApiError(400, "Invalid " + key + ": row " + std::to_string(i) +
                                " does not exist (the list has " + std::to_string(size) + " rows)");
    }
    return i;
}

std::string listName(const Var& value) {
    if (value.isEmpty() || !value.isString() || value.extract<std::string>().empty()) {
        throw ApiError(400, "Invalid name: a list needs a non-empty name");
    }
    return value.extract<std::string>();
}

Object::Ptr requireObject(const std::string& body) {
    const Var parsed = parseJsonBody(body);
    if (parsed.isEmpty() || parsed.type() != typeid(Object::Ptr)) {
        throw ApiError(400, "Expected a JSON object");
    }
    return parsed.extract<Object::Ptr>();
}

Response successBody() {
    Object::Ptr body = new Object;
    body->set("success", true);
    return jsonResponse(200, body);
}

}  // namespace

ListSpec parseList(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
        throw std::invalid_argument("--list expects NAME=JSON, not '" + text + "'");
    }
    return ListSpec{text.substr(0, eq), text.substr(eq + 1)};
}

void Model::storeList(std::int64_t id, const std::string& name, Array::Ptr content) {
    // SOAR keeps a list as one string and cuts it, without an error, past its limit: here
    // whole rows go from the end until the JSON fits; a first row too long on its own keeps
    // its leading cells that fit.
    const std::size_t limit = options_.list_max_bytes;
    std::vector<std::size_t> sizes;
    std::size_t total = 2;  // [ ]
    for (std::size_t i = 0; i < content->size(); ++i) {
        sizes.push_back(toJson(content->get(static_cast<unsigned int>(i))).size());
        total += sizes.back() + (i == 0 ? 0 : 1);
    }
    if (total > limit) {
        Array::Ptr cut = new Array;
        std::size_t kept = 2;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            const std::size_t next = kept + sizes[i] + (i == 0 ? 0 : 1);
            if (next > limit) {
                if (i == 0) {
                    // Not even the first row fits: keep what fits of its cells.
                    const Array::Ptr first = content->getArray(0);
                    Array::Ptr row = new Array;
                    std::size_t used = 4;  // [[ ]]
                    for (std::size_t j = 0; j < first->size(); ++j) {
                        const Var cell = first->get(static_cast<unsigned int>(j));
                        used += toJson(cell).size() + (j == 0 ? 0 : 1);
                        if (used > limit) {
                            break;
                        }
                        row->add(cell);
                    }
                    cut->add(row);
                }
                break;
            }
            kept = next;
            cut->add(content->get(static_cast<unsigned int>(i)));
        }
        content = cut;
    }
    Object::Ptr row = new Object;
    row->set("id", id);
    row->set("name", name);
    row->set("content", content);
    row->set("tenant", 0);
    if (lists_.find(id).isNull()) {
        lists_.rows.emplace(id, row);
    } else {
        lists_.rows.replace(id, row);
    }
}

std::int64_t Model::createList(const Ptr& in) {
    const std::string name = listName(in->get("name"));
    if (list_by_name_.count(name) != 0) {
        throw ApiError(400, "A list named \"" + name + "\" already exists");
    }
    const Var content = in->get("content");
    std::vector<Array::Ptr> rows;
    if (!content.isEmpty()) {
        rows = toRows(content, "content");
    }
    if (rows.empty()) {
        // SOAR answers a create without rows with a server error.
        throw ApiError(500, "Internal server error: a list needs at least one row of content");
    }
    Array::Ptr stored = new Array;
    for (const auto& r : rows) {
        stored->add(r);
    }
    const std::int64_t id = lists_.next_id++;
    storeList(id, name, stored);
    list_by_name_.emplace(name, id);
    return id;
}

void Model::updateList(std::int64_t id, const Ptr& in) {
    const Ptr record = lists_.find(id);
    std::string name = record->getValue<std::string>("name");
    const Var new_content = in->get("content");
    const Var new_name = in->get("name");
    const Var update_rows = in->get("update_rows");
    const Var delete_rows = in->get("delete_rows");
    const Var append_rows = in->get("append_rows");
    if (new_content.isEmpty() && new_name.isEmpty() && update_rows.isEmpty() &&
        delete_rows.isEmpty() && append_rows.isEmpty()) {
        throw ApiError(400,
                       "Nothing to update: expected content, name, append_rows, "
                       "update_rows or delete_rows");
    }

    // 1. content replaces every row.
    std::vector<Array::Ptr> rows =
        new_content.isEmpty() ? rowsOf(*record) : toRows(new_content, "content");
    if (rows.empty()) {
        throw ApiError(400, std::string("Invalid content: ") + kOneRowRemains);
    }
    // 2. name renames.
    if (!new_name.isEmpty()) {
        const std::string wanted = listName(new_name);
        const auto taken = list_by_name_.find(wanted);
        if (taken != list_by_name_.end() && taken->second != id) {
            throw ApiError(400, "A list named \"" + wanted + "\" already exists");
        }
        name = wanted;
    }
    // 3. update_rows replaces whole rows (a shorter row drops the cells after it).
    if (!update_rows.isEmpty()) {
        if (update_rows.type() != typeid(Object::Ptr)) {
            throw ApiError(400, "Invalid update_rows: expected an object of row index: row");
        }
        const Object::Ptr updates = update_rows.extract<Object::Ptr>();
        std::vector<std::pair<std::size_t, Array::Ptr>> changes;
        for (const auto& [key, value] : *updates) {
            changes.emplace_back(rowIndex(Var(key), rows.size(), "update_rows"),
                                 toRow(value, "update_rows"));
        }
        for (auto& [index, row] : changes) {
            rows[index] = row;
        }
    }
    // 4. delete_rows removes rows by their index after step 3, all at once.
    if (!delete_rows.isEmpty()) {
        if (delete_rows.type() != typeid(Array::Ptr)) {
            throw ApiError(400, "Invalid delete_rows: expected a list of row indices");
        }
        const Array::Ptr indices = delete_rows.extract<Array::Ptr>();
        std::set<std::size_t> doomed;
        for (std::size_t i = 0; i < indices->size(); ++i) {
            doomed.insert(
                rowIndex(indices->get(static_cast<unsigned int>(i)), rows.size(), "delete_rows"));
        }
        if (doomed.size() == rows.size()) {
            throw ApiError(400, std::string("Invalid delete_rows: ") + kOneRowRemains);
        }
        std::vector<Array::Ptr> kept;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (doomed.count(i) == 0) {
                kept.push_back(rows[i]);
            }
        }
        rows = std::move(kept);
    }
    // 5. append_rows adds rows at the end.
    if (!append_rows.isEmpty()) {
        for (auto& row : toRows(append_rows, "append_rows")) {
            rows.push_back(std::move(row));
        }
    }

    Array::Ptr stored = new Array;
    for (const auto& r : rows) {
        stored->add(r);
    }
    const std::string old_name = record->getValue<std::string>("name");
    storeList(id, name, stored);
    if (name != old_name) {
        list_by_name_.erase(old_name);
        list_by_name_.emplace(name, id);
    }
}

Response Model::routeLists(const Request& request) {
    const std::vector<std::string> parts =
        decodedSegments(request.raw_path.empty() ? request.path : request.raw_path);
    const std::string& method = request.method;
    const auto notAllowed = [&method](const std::string& allow) {
        Response r = jsonResponse(405, failedBody("Method \"" + method + "\" not allowed."));
        r.allow = allow;
        return r;
    };
    if (parts.size() == 2) {
        if (method == "GET") {
            Response page = list(lists_, request.query);
            if (!options_.list_content_in_collection) {
                for (auto& row : page.rows) {
                    Ptr summary = new Object(*row);
                    summary->remove("content");
                    row = summary;
                }
            }
            return page;
        }
        if (method != "POST") {
            return notAllowed("GET, POST");
        }
        const std::int64_t id = createList(requireObject(request.body));
        if (request.over_http) {
            ++list_writes_;
        }
        Object::Ptr body = new Object;
        body->set("id", id);
        body->set("success", true);
        return jsonResponse(200, body);
    }
    if (parts.size() != 3) {
        return jsonResponse(404, failedBody("Unknown resource: " + request.path));
    }
    if (method != "GET" && method != "POST" && method != "DELETE") {
        return notAllowed("GET, POST, DELETE");
    }
    // A purely numeric segment is an id; anything else a name. DELETE takes the id only.
    const std::string& ref = parts[2];
    std::int64_t id = 0;
    if (const auto by_id = asId(Var(ref))) {
        id = lists_.find(*by_id).isNull() ? 0 : *by_id;
    } else if (method != "DELETE") {
        const auto it = list_by_name_.find(ref);
        id = it == list_by_name_.end() ? 0 : it->second;
    }
    if (id == 0) {
        std::string message = "decided_list \"" + quotable(ref) + "\": item not found";
        if (method == "DELETE" && !asId(Var(ref))) {
            message += " (DELETE takes the list's id)";
        }
        return jsonResponse(404, failedBody(message));
    }
    if (method == "GET") {
        return jsonResponse(200, lists_.find(id));
    }
    if (method == "DELETE") {  // the one DELETE an automation token may make
        list_by_name_.erase(lists_.find(id)->getValue<std::string>("name"));
        lists_.rows.erase(id);
        if (request.over_http) {
            ++list_writes_;
        }
        Object::Ptr body = new Object;
        body->set("success", true);
        body->set("id", std::to_string(id));
        return jsonResponse(200, body);
    }
    updateList(id, requireObject(request.body));
    if (request.over_http) {
        ++list_writes_;
    }
    return successBody();
}

std::int64_t Model::listId(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = list_by_name_.find(name);
    return it == list_by_name_.end() ? 0 : it->second;
}

std::optional<std::string> Model::listContent(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = list_by_name_.find(name);
    if (it == list_by_name_.end()) {
        return std::nullopt;
    }
    return toJson(lists_.find(it->second)->get("content"));
}

std::uint64_t Model::listWrites() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return list_writes_;
}

}  // namespace soar::emulator
