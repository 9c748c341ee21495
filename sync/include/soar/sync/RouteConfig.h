#pragma once

/// RouteConfig: one `[route.<name>]` section (design.md §4) as plain data, filled and
/// validated by the app's config loader. The route engine reads nothing else.
/// Plain value type, no locking.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace soar::sync {

/// The route's source filters; ANDed, as SOAR ANDs every filter.
struct RouteFilters {
    /// `filter.label`: `_filter_label__in=[...]`.
    std::vector<std::string> labels;
    /// `filter.severity`: `_filter_severity__in=[...]`.
    std::vector<std::string> severities;
    /// `filter.status`: `_filter_status__in=[...]`.
    std::vector<std::string> statuses;
    /// `filter.tags`: each tag must be on the container (`_filter_tags__contains="<tag>"`).
    std::vector<std::string> tags;
    /// `filter.raw`: Django filters passed through verbatim (`_filter_x="y"`).
    std::vector<std::string> raw;
};

/// Who wins a field both sides of a two-way route changed since it was last settled.
enum class ConflictRule {
    /// The side whose container changed last (`container_update_time`); ties go to the source.
    Newest,
    Source,
    Target,
};

/// What `mirror_back` lists: the container fields and items that flow from a target copy back
/// to its source container (design §4, "two-way").
struct MirrorItems {
    bool status = false;
    bool severity = false;
    bool sensitivity = false;
    bool owner = false;
    bool tags = false;
    bool notes = false;
    bool comments = false;
    bool tasks = false;

    /// Whether anything flows back (the route is two-way).
    [[nodiscard]] bool any() const { return fields() || notes || comments || tasks; }
    /// Whether any container field flows back.
    [[nodiscard]] bool fields() const { return status || severity || sensitivity || owner || tags; }
};

/// Where an ended playbook run's outcome is written on the source container.
enum class ReportBack { Off, Note, Comment };

/// `on_source_delete`: what a reconcile does with the copy of a container deleted on the source
/// (keep: record it only; close: status closed and a comment; delete: delete the copy).
enum class OnSourceDelete { Keep, Close, Delete };

struct RouteConfig {
    /// The `<name>` of `[route.<name>]`.
    std::string name;
    /// The source instance's name.
    std::string source;
    /// The target instances' names (fan-out).
    std::vector<std::string> targets;
    std::chrono::milliseconds poll_interval{30'000};
    /// Records per list request.
    std::size_t page_size = 200;
    /// Each pass re-reads this far behind its cursors, for late commits on the source.
    std::chrono::milliseconds lookback{60'000};
    /// `beginning`, `now`, or an ISO 8601 timestamp: where a stream without a cursor starts.
    std::string start_from = "beginning";
    RouteFilters filters;
    /// Source label -> target label.
    std::map<std::string, std::string> label_map;
    std::vector<std::string> add_tags;
    bool artifacts = true;
    bool notes = false;
    /// Vault files of the copied containers, matched by SHA-1 (design §5, "Complete copies").
    bool attachments = false;
    /// A larger file is dead-lettered with its size and this limit, never downloaded.
    std::uint64_t attachment_max_size = std::uint64_t{24} << 20U;
    /// `owner_map = by_name`: a copy's owner is the target user with the source owner's
    /// username (unassigned when the target has none); false (`off`): owners are not copied.
    bool owners_by_name = false;
    /// Copy `custom_fields` (a target that lacks one refuses the container: a dead letter).
    bool custom_fields = true;
    /// A case keeps its workbook: template, phases, tasks (status, owner, notes).
    bool workbooks = false;
    /// Two-way: what flows back from the copies (nothing: one-way).
    MirrorItems mirror_back;
    ConflictRule conflict = ConflictRule::Newest;
    /// `report_back`: each run the route started ends in one note (or comment) on the source
    /// container.
    ReportBack report_back = ReportBack::Off;
    /// Custom lists copied whole from the source to every target, by name (design §5, "Lists").
    std::vector<std::string> lists;
    /// A list whose content is larger is refused with a message, never truncated (SOAR keeps
    /// at most 256 MB per list and truncates silently above that).
    std::uint64_t list_max_size = std::uint64_t{64} << 20U;
    /// Deletions reconciled (design §5): every `reconcile_interval` the mapped ids are asked of
    /// the source, `page_size` a request, and a deleted one's copy handled by `on_source_delete`.
    OnSourceDelete on_source_delete = OnSourceDelete::Keep;
    std::chrono::milliseconds reconcile_interval{3'600'000};
};

}  // namespace soar::sync
