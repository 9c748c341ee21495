#include "Query.h"

#include "PythonLiteral.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>

namespace soar::emulator {
namespace {

using Poco::Dynamic::Var;

const std::set<std::string> kLookups = {
    "exact",     "iexact",   "gt",        "gte",        "lt",       "lte",
    "in",        "contains", "icontains", "startswith", "endswith", "istartswith",
    "iendswith", "isnull",   "range",     "regex",      "iregex"};

/// Fields whose value is a JSON object: further `__` parts are keys inside it.
const std::set<std::string> kJsonFields = {"cef",  "cef_types", "data",           "custom_fields",
                                           "misc", "run_data",  "result_summary", "extra_data"};
/// Fields holding the id of another record: further `__` parts are that record's fields.
const std::set<std::string> kRelations = {
    "container",     "parent_container", "artifact", "parent_artifact",
    "playbook",      "playbook_run",     "scm",      "vault_document",
    "owner",         "author",           "user",     "effective_user",
    "closing_owner", "action_run"};

std::vector<std::string> splitOn(const std::string& text, const std::string& sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t at = text.find(sep, start);
        if (at == std::string::npos) {
            parts.push_back(text.substr(start));
            return parts;
        }
        parts.push_back(text.substr(start, at - start));
        start = at + sep.size();
    }
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool isList(const Var& v) { return !v.isEmpty() && v.type() == typeid(Poco::JSON::Array::Ptr); }
bool isObject(const Var& v) { return !v.isEmpty() && v.type() == typeid(Poco::JSON::Object::Ptr); }
bool isNumber(const Var& v) { return !v.isEmpty() && (v.isNumeric() || v.isBoolean()); }

Poco::JSON::Array::Ptr asList(const Var& v) { return v.extract<Poco::JSON::Array::Ptr>(); }

/// Numbers as long double: exact for every id and for doubles of the sizes in use.
long double asNumber(const Var& v) {
    if (v.isBoolean()) {
        return v.extract<bool>() ? 1 : 0;
    }
    if (v.isInteger()) {
        return static_cast<long double>(v.convert<Poco::Int64>());
    }
    return static_cast<long double>(v.convert<double>());
}

std::optional<long double> parseNumber(const std::string& s) {
    if (s.empty()) {
        return std::nullopt;
    }
    char* end = nullptr;
    const long double d = std::strtold(s.c_str(), &end);
    if (end != s.c_str() + s.size()) {
        return std::nullopt;
    }
    return d;
}

std::string asText(const Var& v) {
    if (v.isEmpty()) {
        return "None";
    }
    if (v.isBoolean()) {
        return v.extract<bool>() ? "True" : "False";
    }
    if (isList(v) || isObject(v)) {
        return v.toString();
    }
    return v.convert<std::string>();
}

bool looseEquals(const Var& field, const Var& value) {
    if (field.isEmpty() || value.isEmpty()) {
        return field.isEmpty() && value.isEmpty();
    }
    if (isNumber(field)) {
        if (isNumber(value)) {
            return asNumber(field) == asNumber(value);
        }
        if (value.isString()) {  // Django coerces "5" for an integer field
            const auto n = parseNumber(value.extract<std::string>());
            return n && *n == asNumber(field);
        }
        return false;
    }
    if (field.isString()) {
        if (isList(value) || isObject(value)) {
            return false;
        }
        return field.extract<std::string>() == asText(value);
    }
    if (isList(field) || isObject(field)) {
        return (isList(value) || isObject(value)) && field.toString() == value.toString();
    }
    return false;
}

/// <0, 0, >0 or nullopt when the two cannot be ordered (a null is never gt/lt anything).
std::optional<int> orderValues(const Var& field, const Var& value) {
    if (field.isEmpty() || value.isEmpty() || isList(field) || isObject(field)) {
        return std::nullopt;
    }
    if (isNumber(field)) {
        long double v = 0;
        if (isNumber(value)) {
            v = asNumber(value);
        } else if (value.isString()) {
            const auto n = parseNumber(value.extract<std::string>());
            if (!n) {
                return std::nullopt;
            }
            v = *n;
        } else {
            return std::nullopt;
        }
        const long double f = asNumber(field);
        return f < v ? -1 : (f > v ? 1 : 0);
    }
    const std::string f = asText(field);
    const std::string v = asText(value);
    return f.compare(v) < 0 ? -1 : (f.compare(v) > 0 ? 1 : 0);
}

/// exact against a scalar filter value, without converting it per record.
bool equalsFilter(const Var& field, const Filter& filter) {
    const Var& value = filter.value;
    if (value.isEmpty() || isList(value) || isObject(value) || field.isEmpty()) {
        return looseEquals(field, value);
    }
    if (isNumber(field)) {
        return filter.number && *filter.number == asNumber(field);
    }
    if (field.isString()) {
        return field.extract<std::string>() == filter.text;
    }
    return false;
}

/// gt/gte/lt/lte against a scalar filter value; nullopt when not comparable.
std::optional<int> orderFilter(const Var& field, const Filter& filter) {
    const Var& value = filter.value;
    if (field.isEmpty() || value.isEmpty() || isList(field) || isObject(field) || isList(value) ||
        isObject(value)) {
        return std::nullopt;
    }
    if (isNumber(field)) {
        if (!filter.number) {
            return std::nullopt;
        }
        const long double f = asNumber(field);
        return f < *filter.number ? -1 : (f > *filter.number ? 1 : 0);
    }
    const int c = field.isString() ? field.extract<std::string>().compare(filter.text)
                                   : asText(field).compare(filter.text);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool textOp(const std::string& lookup, const std::string& field, const std::string& value) {
    const bool ci = lookup[0] == 'i' && lookup != "in";
    const std::string f = ci ? lower(field) : field;
    const std::string v = ci ? lower(value) : value;
    const std::string op = ci ? lookup.substr(1) : lookup;
    if (op == "exact") {
        return f == v;
    }
    if (op == "contains") {
        return f.find(v) != std::string::npos;
    }
    if (op == "startswith") {
        return f.compare(0, v.size(), v) == 0;
    }
    // endswith
    return f.size() >= v.size() && f.compare(f.size() - v.size(), v.size(), v) == 0;
}

bool matchOne(const Var& field, const Filter& filter) {
    const std::string& op = filter.lookup;
    const Var& value = filter.value;
    if (op == "isnull") {
        return field.isEmpty() == value.extract<bool>();
    }
    if (op == "exact") {
        return equalsFilter(field, filter);
    }
    if (op == "in") {
        // The same answers as looseEquals against each item, by lookup.
        if (isNumber(field)) {
            return filter.in_numbers.count(asNumber(field)) != 0;
        }
        if (field.isString()) {
            return filter.in_texts.count(field.extract<std::string>()) != 0;
        }
        const auto list = asList(value);
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (!list->get(static_cast<unsigned int>(i)).isEmpty() &&
                looseEquals(field, list->get(static_cast<unsigned int>(i)))) {
                return true;
            }
        }
        return false;
    }
    if (op == "gt" || op == "gte" || op == "lt" || op == "lte") {
        const auto order = orderFilter(field, filter);
        if (!order) {
            return false;
        }
        if (op == "gt") {
            return *order > 0;
        }
        if (op == "gte") {
            return *order >= 0;
        }
        if (op == "lt") {
            return *order < 0;
        }
        return *order <= 0;
    }
    if (op == "range") {
        const auto bounds = asList(value);
        const auto low = orderValues(field, bounds->get(0));
        const auto high = orderValues(field, bounds->get(1));
        return low && high && *low >= 0 && *high <= 0;
    }
    if (field.isEmpty()) {
        return false;
    }
    if (op == "regex" || op == "iregex") {
        return std::regex_search(asText(field), *filter.regex);
    }
    if (isList(field) && (op == "contains" || op == "icontains")) {
        // Array fields (tags): contains [a, b] = has all of them; a scalar = has it.
        const auto items = asList(field);
        auto has = [&](const Var& wanted) {
            for (std::size_t i = 0; i < items->size(); ++i) {
                if (textOp(op == "contains" ? "exact" : "iexact",
                           asText(items->get(static_cast<unsigned int>(i))), asText(wanted))) {
                    return true;
                }
            }
            return false;
        };
        if (isList(value)) {
            const auto wanted = asList(value);
            for (std::size_t i = 0; i < wanted->size(); ++i) {
                if (!has(wanted->get(static_cast<unsigned int>(i)))) {
                    return false;
                }
            }
            return true;
        }
        return has(value);
    }
    if (isList(value) || isObject(value)) {
        return false;
    }
    return textOp(op, asText(field), asText(value));
}

ApiError badFilter(const std::string& name, const std::string& why) {
    return ApiError(400, "Invalid filter '" + name + "': " + why);
}

Filter parseFilter(const std::string& name, const std::string& rest, const std::string& raw,
                   bool exclude, const std::set<std::string>& fields) {
    Filter filter;
    filter.exclude = exclude;
    std::vector<std::string> parts = splitOn(rest, "__");
    if (parts.size() > 1 && kLookups.count(parts.back()) != 0) {
        filter.lookup = parts.back();
        parts.pop_back();
    }
    for (const auto& p : parts) {
        if (p.empty()) {
            throw badFilter(name, "empty field name");
        }
    }
    std::string& top = parts.front();
    if (fields.count(top) == 0) {
        const bool alias = top.size() > 3 && top.compare(top.size() - 3, 3, "_id") == 0 &&
                           fields.count(top.substr(0, top.size() - 3)) != 0;
        if (!alias) {
            std::string choices;
            for (const auto& f : fields) {
                choices += (choices.empty() ? "" : ", ") + f;
            }
            throw badFilter(
                name, "Cannot resolve keyword '" + top + "' into field. Choices are: " + choices);
        }
        top = top.substr(0, top.size() - 3);
    }
    if (parts.size() > 1 && kJsonFields.count(top) == 0 && kRelations.count(top) == 0) {
        throw badFilter(name, "Unsupported lookup '" + parts[1] + "' for field '" + top +
                                  "'. Lookups: exact, iexact, gt, gte, lt, lte, in, contains, "
                                  "icontains, startswith, endswith, isnull, range, regex, iregex");
    }
    filter.path = parts;
    try {
        filter.value = parsePythonLiteral(raw);
    } catch (const LiteralError& e) {
        throw badFilter(name, e.what());
    }
    if (!filter.value.isEmpty() && !isList(filter.value) && !isObject(filter.value)) {
        filter.text = asText(filter.value);
        if (isNumber(filter.value)) {
            filter.number = asNumber(filter.value);
        } else if (filter.value.isString()) {
            filter.number = parseNumber(filter.text);
        }
    }
    const std::string& op = filter.lookup;
    if (op == "in" && !isList(filter.value)) {
        throw badFilter(name, "'__in' needs a list, e.g. [1, 2]");
    }
    if (op == "in") {
        const auto list = asList(filter.value);
        for (std::size_t i = 0; i < list->size(); ++i) {
            const Var item = list->get(static_cast<unsigned int>(i));
            if (item.isEmpty() || isList(item) || isObject(item)) {
                continue;
            }
            filter.in_texts.insert(asText(item));
            if (isNumber(item)) {
                filter.in_numbers.insert(asNumber(item));
            } else if (item.isString()) {
                if (const auto n = parseNumber(item.extract<std::string>())) {
                    filter.in_numbers.insert(*n);
                }
            }
        }
    }
    if (op == "range" && (!isList(filter.value) || asList(filter.value)->size() != 2)) {
        throw badFilter(name, "'__range' needs a list of two values");
    }
    if (op == "isnull" && !filter.value.isBoolean()) {
        throw badFilter(name, "'__isnull' needs True or False");
    }
    if (op == "regex" || op == "iregex") {
        if (!filter.value.isString()) {
            throw badFilter(name, "'__" + op + "' needs a quoted pattern");
        }
        try {
            auto flags = std::regex::ECMAScript;
            if (op == "iregex") {
                flags |= std::regex::icase;
            }
            filter.regex.emplace(filter.value.extract<std::string>(), flags);
        } catch (const std::regex_error& e) {
            throw badFilter(name, std::string("bad regular expression: ") + e.what());
        }
    }
    if (op != "in" && op != "range" && op != "exact" && op != "contains" && op != "icontains" &&
        (isList(filter.value) || isObject(filter.value))) {
        throw badFilter(name, "'__" + op + "' does not take a list");
    }
    return filter;
}

std::size_t parseCount(const std::string& name, const std::string& value) {
    if (value.empty() || value.size() > 9 ||
        !std::all_of(value.begin(), value.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
        throw ApiError(
            400, "Invalid value for '" + name + "': '" + value + "' is not a non-negative integer");
    }
    return static_cast<std::size_t>(std::stoul(value));
}

}  // namespace

ListQuery parseListQuery(const QueryParams& params, const std::set<std::string>& fields) {
    ListQuery query;
    for (const auto& [name, value] : params) {
        if (name == "page") {
            query.page = parseCount(name, value);
        } else if (name == "page_size") {
            query.page_size = parseCount(name, value);
        } else if (name == "order") {
            const std::string o = lower(value);
            if (o != "asc" && o != "desc") {
                throw ApiError(400, "Invalid order '" + value + "': use asc or desc");
            }
            query.descending = o == "desc";
        } else if (name == "sort") {
            std::vector<std::string> path =
                splitOn(value, value.find('.') != std::string::npos ? "." : "__");
            if (path.empty() || fields.count(path.front()) == 0) {
                throw ApiError(400, "Invalid sort field '" + value + "'");
            }
            query.sort_path = path;
        } else if (name.rfind("_filter_", 0) == 0) {
            query.filters.push_back(parseFilter(name, name.substr(8), value, false, fields));
        } else if (name.rfind("_exclude_", 0) == 0) {
            query.filters.push_back(parseFilter(name, name.substr(9), value, true, fields));
        }
        // Anything else (pretty, include_expensive, ...) is accepted and ignored.
    }
    return query;
}

Var valueAt(const Poco::JSON::Object& record, const std::vector<std::string>& path,
            const RelationResolver& resolve) {
    Var current = record.get(path.front());
    for (std::size_t i = 1; i < path.size(); ++i) {
        if (current.isEmpty()) {
            return current;
        }
        if (isObject(current)) {
            const auto obj = current.extract<Poco::JSON::Object::Ptr>();
            current = obj.isNull() ? Var() : obj->get(path[i]);
            continue;
        }
        if (resolve) {
            const auto related = resolve(path[i - 1], current);
            if (!related.isNull()) {
                current = related->get(path[i]);
                continue;
            }
        }
        return Var();
    }
    return current;
}

bool matchesAll(const Poco::JSON::Object& record, const std::vector<Var>& columns,
                const std::vector<Filter>& filters, const RelationResolver& resolve) {
    for (const auto& filter : filters) {
        const bool direct = filter.column >= 0 && filter.path.size() == 1;
        const bool hit = direct ? matchOne(columns[static_cast<std::size_t>(filter.column)], filter)
                                : matchOne(valueAt(record, filter.path, resolve), filter);
        if (hit == filter.exclude) {
            return false;
        }
    }
    return true;
}

SortKey sortKey(const Var& v) {
    SortKey key;
    if (v.isEmpty()) {
        key.rank = 3;
    } else if (isNumber(v)) {
        key.rank = 0;
        key.number = asNumber(v);
    } else if (v.isString()) {
        key.rank = 1;
        key.text = v.extract<std::string>();
    } else {
        key.rank = 2;
        key.text = asText(v);
    }
    return key;
}

int compareKeys(const SortKey& a, const SortKey& b) {
    if (a.rank != b.rank) {
        return a.rank < b.rank ? -1 : 1;
    }
    if (a.rank == 0) {
        return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
    }
    if (a.rank == 3) {
        return 0;
    }
    const int c = a.text.compare(b.text);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace soar::emulator
