#pragma once

/// WorkbookReplayer: a case's workbook onto its copy (design.md §5, "Complete copies";
/// soar-api-more.md §3). Template, phase and task ids differ between instances, so phases
/// are matched by name (the n-th phase of a name to the n-th of that name), and tasks by name
/// within their phase. A copy without a workbook gets the target's template of the source's
/// template name (`container_type: case` with `template` and `template_id`, since sources
/// disagree on the key); phases and tasks the copy still lacks (no such template, or a
/// template that differs) are created one by one. Each task then follows the source:
///
/// - its notes (task notes, not among the container's) are copied with soar-sync's marker,
///   found again by it after a lost state file, and updated when their content changed;
/// - its owner by username, when the route maps owners (`owner_map = by_name`);
/// - on a two-way route (`mirror_back = tasks`), a status or owner changed on the copy since it
///   was settled (SettledTask) stays there when it wins (the source's did not move, or the
///   conflict rule picks the copy's), and MirrorBack carries it to the source;
/// - its status, by the transitions the target allows: the status is written directly, and
///   when the target calls that transition invalid, through the third status first (this
///   works whichever of SOAR's two readings of the codes the instances use); a target that
///   asks for a closing note gets one.
///
/// A task is written again only when its `modified_time` moved (or on a forced pass); one
/// the target refuses is dead-lettered. Thread safety: one object per container replay.

#include "PassScope.h"
#include "soar/sync/Workbook.h"

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace soar::sync {

/// What a copy's task held when it was last settled, kept in its task mapping's content_hash as
/// "<status>/<owner's user id on the target>" (nothing after the slash when unassigned). A
/// two-way route compares the copy with it to see what changed there. A mapping written before
/// owners were kept holds the status alone: its owner is unknown, and not mirrored until the
/// task is next written.
struct SettledTask {
    std::int64_t status = 0;
    bool owner_known = false;
    std::optional<std::int64_t> owner;

    [[nodiscard]] static std::optional<SettledTask> parse(const std::string& text);
    [[nodiscard]] static std::string format(std::int64_t status, std::optional<std::int64_t> owner);
    /// The copy's owner moved since it was settled (false while the settled owner is unknown).
    [[nodiscard]] bool ownerMoved(const std::optional<std::int64_t>& now) const {
        return owner_known && owner != now;
    }
};

/// How logs name a task's owner: "user <id>", or "unassigned".
[[nodiscard]] std::string userText(const std::optional<std::int64_t>& user);

class WorkbookReplayer {
public:
    /// `fresh`: the container copy was just created (it has no workbook yet).
    WorkbookReplayer(PassScope& pass, std::int64_t source_container, std::int64_t target_container,
                     bool fresh, Replayed& out);

    /// The whole workbook: made on the copy if it has none, every task brought up to date.
    void all();
    /// One task met in the tasks stream (the workbook is made or completed as needed; only
    /// this task is brought up to date).
    void one(const SourceItem& task);

    /// Moves a task from status `from` to `to` through `update` (a write of its fields on
    /// either instance): with `closing_note` when the instance asks for one, and through the
    /// third status when it refuses the jump (statuses move one step at a time).
    static void moveTask(const std::function<void(const Poco::JSON::Object&)>& update,
                         std::int64_t from, std::int64_t to, const std::string& closing_note);

    /// A task `field` moved on the copy (changed at `copy_time`) since it was settled and
    /// differs from the source's: true when the copy's stays (the source's did not move, or the
    /// conflict rule picks the copy's). A conflict is counted in `counts` and logged with both
    /// values and times. Both directions settle a task through it: whichever meets the
    /// conflict first settles it, the other then sees only the copy's change.
    static bool copyWins(PassScope& pass, state::PassCounts& counts, const WorkbookTask& source,
                         const std::optional<std::string>& copy_time, const std::string& field,
                         bool source_moved, const std::string& source_value,
                         const std::string& copy_value);

private:
    void replay(std::optional<std::int64_t> only);
    /// Gives the copy the source's template, when the target has one of that name.
    void addTemplate(const Workbook& source, Workbook& target);
    void syncTask(const WorkbookTask& source, const WorkbookTask& target);

    /// Copies the notes of a source task onto its copy; true when one was written.
    bool copyNotes(std::int64_t source_task, std::int64_t target_task);

    PassScope& pass_;
    std::int64_t source_container_;
    std::int64_t target_container_;
    bool fresh_;
    Replayed& out_;
    std::map<std::int64_t, state::NoteMapping> known_;
};

}  // namespace soar::sync
