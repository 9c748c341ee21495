#pragma once

/// List queries of the SOAR REST API: `page`, `page_size`, `sort`, `order` and Django-style
/// `_filter_<field>[__<sub>...][__<lookup>]=<python literal>` / `_exclude_...` parameters,
/// parsed once per request and then evaluated against each JSON record. Pure functions;
/// records must not change while a query runs over them (the caller holds the data lock).

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace soar::emulator {

/// A request the emulator refuses: an HTTP status and the `message` of the failed body.
/// It may carry one extra id field (e.g. `existing_container_id` of a duplicate).
class ApiError : public std::runtime_error {
public:
    ApiError(int status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    ApiError(int status, const std::string& message, std::string extra_key, std::int64_t extra_id)
        : std::runtime_error(message),
          status_(status),
          extra_key_(std::move(extra_key)),
          extra_id_(extra_id) {}
    [[nodiscard]] int status() const { return status_; }
    [[nodiscard]] const std::string& extraKey() const { return extra_key_; }
    [[nodiscard]] std::int64_t extraId() const { return extra_id_; }

private:
    int status_;
    std::string extra_key_;
    std::int64_t extra_id_ = 0;
};

/// Follows a relation field (e.g. an artifact's `container` id) to the related record so
/// that filters like `_filter_container__name="x"` work; returns null when not a relation.
using RelationResolver =
    std::function<Poco::JSON::Object::Ptr(const std::string& field, const Poco::Dynamic::Var& id)>;

struct Filter {
    std::vector<std::string> path;  ///< field, then JSON sub-keys or related fields
    std::string lookup = "exact";
    Poco::Dynamic::Var value;
    bool exclude = false;
    std::optional<std::regex> regex;
    /// The scalar value pre-converted once per request, not once per record.
    std::string text;
    std::optional<long double> number;
    /// An `__in` list pre-converted: the numbers it names (numeric strings included) and
    /// the text of its scalar items, so a record is matched by lookup, not by a list walk.
    std::set<long double> in_numbers;
    std::set<std::string> in_texts;
    /// Column of the top-level field in the record table (-1: read the record itself).
    int column = -1;
};

struct ListQuery {
    std::vector<Filter> filters;
    std::vector<std::string> sort_path;  ///< empty = by id
    bool descending = false;
    std::size_t page = 0;
    std::size_t page_size = 10;  ///< 0 = everything
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

/// Parses the list parameters; unknown top-level fields, unknown lookups, unparsable
/// literals and wrong value kinds throw ApiError(400). `fields` are the top-level field
/// names of the collection; `<field>_id` is accepted as an alias of a relation `<field>`.
ListQuery parseListQuery(const QueryParams& params, const std::set<std::string>& fields);

/// True when the record passes every filter (and no exclude matches).
bool matchesAll(const Poco::JSON::Object& record, const std::vector<Poco::Dynamic::Var>& columns,
                const std::vector<Filter>& filters, const RelationResolver& resolve);

/// The value at `path` (missing = empty Var). Descends JSON objects and relations.
Poco::Dynamic::Var valueAt(const Poco::JSON::Object& record, const std::vector<std::string>& path,
                           const RelationResolver& resolve);

/// A field value reduced to what ordering needs, computed once per record before sorting.
struct SortKey {
    int rank = 3;  ///< 0 number, 1 string, 2 list/object, 3 null
    long double number = 0;
    std::string text;
};
SortKey sortKey(const Poco::Dynamic::Var& value);
/// Orders as SOAR's database would: nulls last, numbers numerically, strings bytewise;
/// returns <0, 0, >0.
int compareKeys(const SortKey& a, const SortKey& b);

}  // namespace soar::emulator
