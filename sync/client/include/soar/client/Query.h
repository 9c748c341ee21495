#pragma once

/// Query: the parameters of a SOAR list request (soar-api.md §2): Django-style filters
/// `_filter_<field>[__<lookup>]=<python literal>`, `_exclude_...`, `sort`, `order`,
/// `page_size`. Values are written as Python literals, which is how SOAR reads them:
/// strings double-quoted with `\` and `"` escaped (control characters as \xNN), integers
/// bare, booleans True/False, lists `["a", "b"]`; then the whole value and the name are
/// percent-encoded (UTF-8, everything but RFC 3986 unreserved characters).
///
/// Value type, no locking. Building never touches the network.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace soar::sync {

struct RecordShape;

/// One filter value, held as its Python literal. Converts implicitly from strings and
/// integers; booleans and None are spelled out (PyValue::boolean) so that a `const char*`
/// can never silently become True.
class PyValue {
public:
    PyValue(const char* text) : PyValue(std::string_view(text)) {}         // NOLINT implicit
    PyValue(const std::string& text) : PyValue(std::string_view(text)) {}  // NOLINT implicit
    PyValue(std::string_view text);                                        // NOLINT implicit
    template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                               !std::is_same_v<T, char>,
                                           int> = 0>
    PyValue(T number) : literal_(std::to_string(number)) {}  // NOLINT implicit

    [[nodiscard]] static PyValue boolean(bool value);
    [[nodiscard]] static PyValue none();
    [[nodiscard]] static PyValue list(const std::vector<PyValue>& items);
    /// A literal written by hand (e.g. a float); passed on unchanged.
    [[nodiscard]] static PyValue verbatim(std::string literal);

    /// The Python literal, before URL encoding: `"it\"s"`, `42`, `True`, `["a", 1]`.
    [[nodiscard]] const std::string& literal() const { return literal_; }

private:
    struct Verbatim {};
    PyValue(Verbatim, std::string literal) : literal_(std::move(literal)) {}

    std::string literal_;
};

/// The Python literal of a string: `"..."` with `\\`, `\"`, `\n`, `\r`, `\t` and `\xNN` for
/// other control characters; UTF-8 passes through.
[[nodiscard]] std::string pythonStringLiteral(std::string_view text);

/// Percent-encodes every byte but A-Z a-z 0-9 - _ . ~ (so `"`, space, `[`, `,` and UTF-8
/// bytes are all encoded).
[[nodiscard]] std::string urlEncode(std::string_view text);

enum class SortOrder { Asc, Desc };

class Query {
public:
    Query() = default;

    /// `_filter_<field>=<value>`. `field` may traverse (`cef__sourceAddress`).
    Query& exact(std::string_view field, const PyValue& value);
    /// `_filter_<field>__in=[...]`.
    Query& in(std::string_view field, const std::vector<PyValue>& values);
    Query& gt(std::string_view field, const PyValue& value);
    Query& gte(std::string_view field, const PyValue& value);
    Query& lt(std::string_view field, const PyValue& value);
    Query& lte(std::string_view field, const PyValue& value);
    /// `_filter_<field>__isnull=True|False`.
    Query& isNull(std::string_view field, bool is_null);
    /// Any lookup (`iexact`, `icontains`, `regex`, ...); empty lookup = exact.
    Query& filter(std::string_view field, std::string_view lookup, const PyValue& value);
    /// `_exclude_<field>[__<lookup>]=<value>`.
    Query& exclude(std::string_view field, std::string_view lookup, const PyValue& value);
    /// A filter written by hand, as in the config's `filter.raw`: `_filter_x="amber"` or
    /// `_exclude_x__in=[1, 2]`, unencoded; name and value are encoded here. Throws
    /// std::invalid_argument when it is not `_filter_...=` / `_exclude_...=`.
    Query& raw(std::string_view name_equals_value);

    Query& sort(std::string_view field, SortOrder order = SortOrder::Asc);
    /// Results per page; SOAR's default is 10, so the client always sends it. 0 = everything
    /// in one answer (never used by the sync: it defeats streaming).
    Query& pageSize(std::size_t size);

    [[nodiscard]] std::size_t pageSize() const { return page_size_; }
    [[nodiscard]] const std::string& sortField() const { return sort_field_; }
    [[nodiscard]] SortOrder sortOrder() const { return order_; }
    /// Name and unencoded literal of each filter, in the order added.
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& filters() const {
        return filters_;
    }

    /// `page=<page>&page_size=<n>&<filters...>&sort=<f>&order=asc`, percent-encoded.
    [[nodiscard]] std::string toQueryString(std::size_t page) const;

    /// What the reader of the answer needs of each record (JsonTree.h); not sent. A reader
    /// given a shape takes records in either form, shaped or whole.
    Query& shape(RecordShape shape);
    [[nodiscard]] const RecordShape* recordShape() const { return shape_.get(); }

private:
    Query& add(std::string name, const PyValue& value);

    std::vector<std::pair<std::string, std::string>> filters_;
    std::string sort_field_;
    SortOrder order_ = SortOrder::Asc;
    std::size_t page_size_ = 100;
    /// Shared by the copies a walk makes for each page.
    std::shared_ptr<const RecordShape> shape_;
};

}  // namespace soar::sync
