#pragma once

/// MirrorBack: the way back of a two-way route (design.md §5, "Two-way without loops"), run
/// after the pass's one-way streams. It walks the target, as the pass walks the source, with a
/// stored cursor per stream:
///
/// - CopiesUpdated: the route's copies (sdi `soar-sync:<source>:`) whose
///   `container_update_time` moved. A copy whose mirrored fields still read as stored was not
///   changed there (or only by soar-sync): nothing to do, no request. Otherwise its source
///   container is read and the two settled (FieldMirror).
/// - CopyNotes, CopyComments: notes and comments written on the target in the route's copies.
///   Those carrying the source's marker are soar-sync's copies and are skipped; the others are
///   written to the source container with this target's marker (so the source's one-way
///   streams never copy them back here, while the route's other targets get them), and a later
///   edit of such a note follows it. A note already on the source with its marker (written
///   before a crash lost the commit) is adopted, not written twice.
///
/// - CopyTasks (with `tasks`): a workbook task's status moved on a copy goes to the source's
///   task, and with `owner` its owner too (by username; one the source lacks stays on the copy,
///   logged); a field both sides moved is settled by `conflict` on the tasks' `modified_time`.
///   A task's notes written on the copy (met in CopyNotes) go to the source's task, marked like
///   the container's notes.
///
/// Every write is committed (with the stream's cursor) after the side accepted it. Cursors
/// start at the newest change on the target: what changed there before the route became
/// two-way is not mirrored.
///
/// Thread safety: runs on the pass's thread. Ownership: borrows the scope.

#include "FieldMirror.h"
#include "PassScope.h"
#include "soar/sync/MirrorSide.h"
#include "soar/sync/RecordMapper.h"
#include "soar/sync/Workbook.h"

#include <atomic>

namespace soar::sync {

class MirrorBack {
public:
    MirrorBack(PassScope& pass, FieldMirror* fields);

    /// Walks what the route mirrors; transient errors propagate (the pass stops there).
    void run();
    /// What it did.
    [[nodiscard]] const state::PassCounts& counts() const { return counts_; }

private:
    void walkCopies();
    void walkChanged(state::RecordKind kind);
    /// One copy met in the walk: settled when its mirrored fields moved.
    void copy(const SourceContainer& copy, state::UnitOfWork& unit);
    /// One note or comment met in the walk.
    void note(const SourceItem& item, state::UnitOfWork& unit);
    /// One workbook task met in the walk: its status, when it moved on the copy, goes to the
    /// source's task (through the transitions the source allows).
    void task(const SourceItem& item, state::UnitOfWork& unit);
    /// Where a stream's walk starts: its cursor less the lookback while that is needed
    /// (Lookback); nullopt (and the cursor set to the newest change there now) when it has none.
    std::optional<KeysetCursor> start(state::Stream stream, state::RecordKind kind);
    /// After a walk: its end committed as the stream's cursor, unless it was stopped.
    void finish(state::Stream stream, const WalkEnd& end);
    void commit(state::UnitOfWork& unit, state::Stream stream, const KeysetCursor& at);

    PassScope& pass_;
    FieldMirror* fields_;
    MirrorSide& source_;
    MirrorSide& target_;
    /// Notes written back carry this target's marker, made by a mapper named after it.
    RecordMapper back_mapper_;
    std::string copy_prefix_;
    state::PassCounts counts_;
};

}  // namespace soar::sync
