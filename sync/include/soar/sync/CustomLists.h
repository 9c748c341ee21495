#pragma once

/// The rules a custom list read from the source must meet to be copied (design.md §5,
/// "Lists"; soar-api-more.md §2), shared by the copy (ListCopier) and `soar-sync check`:
/// it exists, its rows fit `list_max_size` (SOAR truncates lists above 256 MB silently), and it
/// has a row (SOAR keeps at least one). Pure functions.

#include "soar/sync/RouteConfig.h"

#include <Poco/JSON/Array.h>

#include <optional>
#include <string>

namespace soar::sync {

/// The rows as soar-sync writes, measures and hashes them: compact JSON.
[[nodiscard]] std::string canonicalRows(const Poco::JSON::Array& rows);

/// Why the list `name`, read from the route's source as `rows` (nullopt: no such list) with
/// canonical text `text`, cannot be copied ("custom list 'x' does not exist on hq", ...);
/// nullopt when it can.
[[nodiscard]] std::optional<std::string> listProblem(
    const RouteConfig& route, const std::string& name,
    const std::optional<Poco::JSON::Array::Ptr>& rows, const std::string& text);

}  // namespace soar::sync
