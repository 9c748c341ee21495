#include "soar/client/Query.h"

#include "soar/client/JsonTree.h"

#include <stdexcept>

namespace soar::sync {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

void requireField(std::string_view field) {
    if (field.empty()) throw std::invalid_argument("query filter: empty field name");
}

}  // namespace

std::string pythonStringLiteral(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('"');
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (byte < 0x20 || byte == 0x7f) {
                    out += "\\x";
                    out.push_back(kHex[byte >> 4]);
                    out.push_back(kHex[byte & 0xf]);
                } else {
                    out.push_back(c);  // printable ASCII and UTF-8 bytes pass through
                }
        }
    }
    out.push_back('"');
    return out;
}

std::string urlEncode(std::string_view text) {
    std::string out;
    out.reserve(text.size() * 3);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                                c == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0xf]);
        }
    }
    return out;
}

PyValue::PyValue(std::string_view text) : literal_(pythonStringLiteral(text)) {}

PyValue PyValue::boolean(bool value) { return PyValue(Verbatim{}, value ? "True" : "False"); }

PyValue PyValue::none() { return PyValue(Verbatim{}, "None"); }

PyValue PyValue::list(const std::vector<PyValue>& items) {
    std::string literal = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) literal += ", ";
        literal += items[i].literal_;
    }
    literal += "]";
    return PyValue(Verbatim{}, std::move(literal));
}

PyValue PyValue::verbatim(std::string literal) { return PyValue(Verbatim{}, std::move(literal)); }

Query& Query::add(std::string name, const PyValue& value) {
    filters_.emplace_back(std::move(name), value.literal());
    return *this;
}

Query& Query::filter(std::string_view field, std::string_view lookup, const PyValue& value) {
    requireField(field);
    std::string name = "_filter_" + std::string(field);
    if (!lookup.empty() && lookup != "exact") name += "__" + std::string(lookup);
    return add(std::move(name), value);
}

Query& Query::exclude(std::string_view field, std::string_view lookup, const PyValue& value) {
    requireField(field);
    std::string name = "_exclude_" + std::string(field);
    if (!lookup.empty() && lookup != "exact") name += "__" + std::string(lookup);
    return add(std::move(name), value);
}

Query& Query::exact(std::string_view field, const PyValue& value) {
    return filter(field, "", value);
}

Query& Query::in(std::string_view field, const std::vector<PyValue>& values) {
    return filter(field, "in", PyValue::list(values));
}

Query& Query::gt(std::string_view field, const PyValue& value) {
    return filter(field, "gt", value);
}

Query& Query::gte(std::string_view field, const PyValue& value) {
    return filter(field, "gte", value);
}

Query& Query::lt(std::string_view field, const PyValue& value) {
    return filter(field, "lt", value);
}

Query& Query::lte(std::string_view field, const PyValue& value) {
    return filter(field, "lte", value);
}

Query& Query::isNull(std::string_view field, bool is_null) {
    return filter(field, "isnull", PyValue::boolean(is_null));
}

Query& Query::raw(std::string_view name_equals_value) {
    const auto eq = name_equals_value.find('=');
    const std::string_view name = name_equals_value.substr(0, eq);
    const bool prefixed = (name.rfind("_filter_", 0) == 0 && name.size() > 8) ||
                          (name.rfind("_exclude_", 0) == 0 && name.size() > 9);
    if (eq == std::string_view::npos || !prefixed || eq + 1 == name_equals_value.size()) {
        throw std::invalid_argument(
            "raw filter '" + std::string(name_equals_value) +
            "': expected _filter_<field>=<value> or _exclude_<field>=<value>");
    }
    filters_.emplace_back(std::string(name), std::string(name_equals_value.substr(eq + 1)));
    return *this;
}

Query& Query::sort(std::string_view field, SortOrder order) {
    requireField(field);
    sort_field_ = std::string(field);
    order_ = order;
    return *this;
}

Query& Query::pageSize(std::size_t size) {
    page_size_ = size;
    return *this;
}

Query& Query::shape(RecordShape shape) {
    shape_ = std::make_shared<const RecordShape>(std::move(shape));
    return *this;
}

std::string Query::toQueryString(std::size_t page) const {
    std::string out = "page=" + std::to_string(page) + "&page_size=" + std::to_string(page_size_);
    for (const auto& [name, literal] : filters_) {
        out += '&';
        out += urlEncode(name);
        out += '=';
        out += urlEncode(literal);
    }
    if (!sort_field_.empty()) {
        out += "&sort=" + urlEncode(sort_field_);
        out += order_ == SortOrder::Asc ? "&order=asc" : "&order=desc";
    }
    return out;
}

}  // namespace soar::sync
