#pragma once

/// The plain value types the state store reads and writes.
///
/// Everything soar-sync remembers is kept per (route, target) — `RouteTarget` — so that one
/// failing target never holds back another (design §5). Timestamps are the source's own text
/// (ISO 8601 as SOAR wrote it): the store never parses or reformats them, so a cursor fed back
/// into a `_filter_<field>__gt` filter matches exactly what the source compares against. Times
/// the store records itself (pass start, dead-letter first seen, ...) are supplied by the caller
/// so that tests can drive them from a manual clock.
///
/// Thread safety: value types with no shared state. Ownership: plain values, copy freely.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soar::state {

/// Identifies one (route, target) pair: a route name and a target instance name from the config.
struct RouteTarget {
    std::string route;
    std::string target;

    friend bool operator==(const RouteTarget& a, const RouteTarget& b) {
        return a.route == b.route && a.target == b.target;
    }
    friend bool operator!=(const RouteTarget& a, const RouteTarget& b) { return !(a == b); }
    friend bool operator<(const RouteTarget& a, const RouteTarget& b) {
        return a.route != b.route ? a.route < b.route : a.target < b.target;
    }
};

/// One change stream of a (route, target) (design §5, "Finding what changed"). Stored by name,
/// so adding a stream needs no schema change.
enum class Stream {
    /// New containers, walked by `create_time`.
    ContainersCreated,
    /// Edited containers, walked by `container_update_time`.
    ContainersUpdated,
    /// Changed artifacts, walked by the artifact's `update_time`.
    Artifacts,
    /// Changed notes, walked by the note's `modified_time`.
    Notes,
    /// New comments, walked by the comment's `time` (comments are never edited).
    Comments,
    /// New vault files of containers (`container_attachment`), walked by their `create_time`
    /// (an attachment is never edited).
    Attachments,
    /// Changed workbook tasks of cases, walked by the task's `modified_time`.
    Tasks,
    /// Two-way routes: the target's copies edited there, walked on the target by their
    /// `container_update_time`.
    CopiesUpdated,
    /// Two-way routes: notes of the target's copies, walked on the target by `modified_time`.
    CopyNotes,
    /// Two-way routes: comments of the target's copies, walked on the target by `time`.
    CopyComments,
    /// Two-way routes: workbook tasks of the target's copies, walked by `modified_time`.
    CopyTasks,
};

/// The stored name: `containers_created`, `containers_updated`, `artifacts`, `notes`,
/// `comments`, `attachments`, `tasks`, `copies_updated`, `copy_notes`, `copy_comments`,
/// `copy_tasks`.
[[nodiscard]] std::string_view toString(Stream stream);
/// The stream with that stored name, or nothing for a name this binary does not know.
[[nodiscard]] std::optional<Stream> parseStream(std::string_view name);

/// Where a stream's keyset walk resumes: past (`timestamp`, `last_id`).
struct Cursor {
    Stream stream = Stream::ContainersCreated;
    /// The timestamp exactly as the source wrote it.
    std::string timestamp;
    /// The highest id already handled within `timestamp` (the keyset for a group of equal
    /// timestamps larger than one page).
    std::int64_t last_id = 0;

    friend bool operator==(const Cursor& a, const Cursor& b) {
        return a.stream == b.stream && a.timestamp == b.timestamp && a.last_id == b.last_id;
    }
};

/// A source container and its copy on the target.
struct ContainerMapping {
    std::int64_t source_id = 0;
    std::int64_t target_id = 0;
    /// Hash of the fields soar-sync writes; unchanged hash = nothing to resend.
    std::string content_hash;
    /// The source's change timestamps when the copy was written (null when the source had none,
    /// e.g. a never-edited container's `container_update_time`).
    std::optional<std::string> create_time;
    std::optional<std::string> container_update_time;
    std::optional<std::string> artifact_update_time;
    /// Which container of this source id it is: 1, or one more than the tombstones of the id
    /// (a source that reuses an id after a restore gets a new copy, not the old one's).
    std::int64_t generation = 1;

    friend bool operator==(const ContainerMapping& a, const ContainerMapping& b) {
        return a.source_id == b.source_id && a.target_id == b.target_id &&
               a.content_hash == b.content_hash && a.create_time == b.create_time &&
               a.container_update_time == b.container_update_time &&
               a.artifact_update_time == b.artifact_update_time && a.generation == b.generation;
    }
};

/// A source artifact and its copy on the target. Its container must be mapped (the schema
/// enforces it), and deleting the container's mapping deletes its artifacts' mappings.
struct ArtifactMapping {
    std::int64_t source_id = 0;
    std::int64_t target_id = 0;
    std::int64_t source_container_id = 0;
    std::string content_hash;
    std::optional<std::string> update_time;

    friend bool operator==(const ArtifactMapping& a, const ArtifactMapping& b) {
        return a.source_id == b.source_id && a.target_id == b.target_id &&
               a.source_container_id == b.source_container_id && a.content_hash == b.content_hash &&
               a.update_time == b.update_time;
    }
};

/// A two-way mapping's mirrored fields as each side held them when soar-sync last settled
/// them (design §5, "Two-way without loops"): a side whose fields still read so has not
/// changed since, whoever wrote them last. Each is a canonical JSON object of the fields the
/// route mirrors, in that side's own terms (its status names, its user ids). Its container
/// must be mapped; forgetting the container forgets it.
struct MirrorState {
    std::int64_t source_id = 0;
    std::string source_fields;
    std::string target_fields;

    friend bool operator==(const MirrorState& a, const MirrorState& b) {
        return a.source_id == b.source_id && a.source_fields == b.source_fields &&
               a.target_fields == b.target_fields;
    }
};

/// How many mappings a (route, target) holds.
struct MappingCounts {
    std::int64_t containers = 0;
    std::int64_t artifacts = 0;
    /// Notes and comments together.
    std::int64_t notes = 0;
    /// Vault files (container attachments).
    std::int64_t files = 0;
    /// Workbook tasks of cases.
    std::int64_t tasks = 0;
};

/// What one pass over a (route, target) did.
struct PassCounts {
    std::int64_t containers_created = 0;
    std::int64_t containers_updated = 0;
    std::int64_t containers_unchanged = 0;
    std::int64_t artifacts_created = 0;
    std::int64_t artifacts_updated = 0;
    std::int64_t artifacts_unchanged = 0;
    std::int64_t errors = 0;
    std::int64_t notes_created = 0;
    std::int64_t notes_updated = 0;
    std::int64_t comments_created = 0;
    /// Vault files attached to copies, and their bytes.
    std::int64_t files_copied = 0;
    std::int64_t file_bytes = 0;
    /// Case workbooks made on copies (by template or phase by phase), and workbook tasks
    /// created or brought up to date (status, owner, notes).
    std::int64_t workbooks_copied = 0;
    std::int64_t tasks_written = 0;
    /// Copies left unassigned because the target lacks their owner's username.
    std::int64_t owners_unmatched = 0;
    /// Two-way routes: container fields written back to the source from a copy, notes and
    /// comments copied back, and conflicts (a field both sides changed) by the side that won.
    std::int64_t fields_mirrored = 0;
    std::int64_t notes_mirrored = 0;
    std::int64_t conflicts_source_won = 0;
    std::int64_t conflicts_target_won = 0;
    /// Ended playbook runs reported to the source container (`report_back`).
    std::int64_t results_reported = 0;
    /// Custom lists written to the target (their content changed), and lists that could not
    /// be (missing on the source, too large, refused by the target).
    std::int64_t lists_written = 0;
    std::int64_t lists_failed = 0;
    /// Mapped containers found deleted on the source by a reconcile, and of those the copies
    /// closed and deleted on the target (`on_source_delete`).
    std::int64_t deletions_found = 0;
    std::int64_t copies_closed = 0;
    std::int64_t copies_deleted = 0;

    /// Adds every count of `other`: the one way pass counts are summed.
    PassCounts& operator+=(const PassCounts& other) {
        containers_created += other.containers_created;
        containers_updated += other.containers_updated;
        containers_unchanged += other.containers_unchanged;
        artifacts_created += other.artifacts_created;
        artifacts_updated += other.artifacts_updated;
        artifacts_unchanged += other.artifacts_unchanged;
        errors += other.errors;
        notes_created += other.notes_created;
        notes_updated += other.notes_updated;
        comments_created += other.comments_created;
        files_copied += other.files_copied;
        file_bytes += other.file_bytes;
        workbooks_copied += other.workbooks_copied;
        tasks_written += other.tasks_written;
        owners_unmatched += other.owners_unmatched;
        fields_mirrored += other.fields_mirrored;
        notes_mirrored += other.notes_mirrored;
        conflicts_source_won += other.conflicts_source_won;
        conflicts_target_won += other.conflicts_target_won;
        results_reported += other.results_reported;
        lists_written += other.lists_written;
        lists_failed += other.lists_failed;
        deletions_found += other.deletions_found;
        copies_closed += other.copies_closed;
        copies_deleted += other.copies_deleted;
        return *this;
    }
};

/// One finished pass.
struct PassRecord {
    std::string started_at;
    std::string finished_at;
    /// The engine's word for how it ended, e.g. `ok`, `errors`, `failed`, `cancelled`.
    std::string outcome;
    PassCounts counts;
};

/// Whether a (route, target) is failing, and the last error it reported.
struct TargetHealth {
    std::optional<std::string> last_error;
    std::optional<std::string> last_error_at;
    /// Set by the first failure after a healthy spell, cleared by `PassLog::markHealthy`.
    std::optional<std::string> failing_since;
};

/// Why a playbook run was triggered.
enum class TriggerKind { Create, Update };
[[nodiscard]] std::string_view toString(TriggerKind kind);

/// Where a playbook run stands. `Intent` is stored before the request is sent, so a crash
/// between the two is seen at restart and the target is checked before triggering again.
enum class RunStatus { Intent, Running, Success, Failed, Cancelled, TimedOut };
[[nodiscard]] std::string_view toString(RunStatus status);
/// Success, failed, cancelled and timed out are final; intent and running are pending.
[[nodiscard]] bool isTerminal(RunStatus status);

/// Where the report of an ended run to the source container stands (`report_back`): the
/// intent (Sending) is stored before the note is written, so a crash between the two is seen
/// at restart and the source is checked for the note before it is written again.
enum class ReportState {
    /// Not reported yet (due once the run ended, on a route that reports).
    None,
    Sending,
    Sent,
    /// Never reported: the run ended before the route reported, or the source refused it.
    Skipped,
};
[[nodiscard]] std::string_view toString(ReportState state);

/// A playbook run on the target, from intent to outcome.
struct PlaybookRun {
    /// Assigned by the store; 0 before the intent is recorded.
    std::int64_t id = 0;
    RouteTarget key;
    /// Unique per (route, target): the same trigger is recorded (and run) once. For example
    /// `create:<source id>` or `update:<source id>:<container_update_time>`.
    std::string trigger_key;
    std::int64_t source_container_id = 0;
    std::int64_t target_container_id = 0;
    /// `repo/name` or the numeric id, as configured.
    std::string playbook;
    TriggerKind trigger = TriggerKind::Create;
    /// The target's run id, once the target answered.
    std::optional<std::int64_t> run_id;
    RunStatus status = RunStatus::Intent;
    std::string message;
    std::string created_at;
    std::string updated_at;
    ReportState report = ReportState::None;
};

/// The answer to `PlaybookRunStore::recordPlaybookIntent`.
struct RecordedIntent {
    /// The stored run: the new intent, or the one recorded earlier for the same trigger.
    PlaybookRun run;
    /// False when the trigger was already recorded: do not trigger it again blindly.
    bool created = false;
};

/// What kind of source record a dead letter is about.
enum class RecordKind { Container, Artifact, Note, Comment, Playbook, Attachment, Task };
[[nodiscard]] std::string_view toString(RecordKind kind);

/// A source note, comment, vault file or workbook task and its copy on the target: the
/// records a container holds besides its artifacts. Like an artifact's, its container must be
/// mapped, and forgetting the container forgets it.
struct NoteMapping {
    /// RecordKind::Note, Comment, Attachment or Task.
    RecordKind kind = RecordKind::Note;
    std::int64_t source_id = 0;
    std::int64_t target_id = 0;
    std::int64_t source_container_id = 0;
    /// A file's is its SHA-1 (its vault id, the same on every instance); a task's covers its
    /// status, owner and notes.
    std::string content_hash;
    /// The source's `modified_time` (notes, tasks), `time` (comments) or `create_time` (files).
    std::optional<std::string> update_time;

    friend bool operator==(const NoteMapping& a, const NoteMapping& b) {
        return a.kind == b.kind && a.source_id == b.source_id && a.target_id == b.target_id &&
               a.source_container_id == b.source_container_id && a.content_hash == b.content_hash &&
               a.update_time == b.update_time;
    }
};

/// Names one dead letter within a (route, target).
struct DeadLetterRef {
    RecordKind kind = RecordKind::Container;
    std::int64_t source_id = 0;
};

/// A record the target refused, as a unit of work records it (`UnitOfWork::dead_letters`).
struct RefusedRecord {
    DeadLetterRef ref;
    /// The target's own message.
    std::string message;
    /// When it was refused (`first_seen` of a new dead letter, `last_seen` of any).
    std::string at;
};

/// A source record the target refused; `retry-dead` re-drives it.
struct DeadLetter {
    RouteTarget key;
    RecordKind kind = RecordKind::Container;
    std::int64_t source_id = 0;
    /// The target's own message, for the operator.
    std::string message;
    std::int64_t attempts = 0;
    std::string first_seen;
    std::string last_seen;
};

/// Everything one replayed container changes in the store, committed all or nothing after the
/// target accepted the writes (design §5, "write, then commit"). Any part may be empty: an
/// artifact-only change has no container, a drained page of unchanged records only moves a
/// cursor.
struct UnitOfWork {
    RouteTarget key;
    /// Upserted, in order, before the artifacts (so an artifact may name a container mapped in
    /// the same unit).
    std::vector<ContainerMapping> containers;
    /// Upserted; each one's container must be mapped already or in this unit.
    std::vector<ArtifactMapping> artifacts;
    /// Notes and comments, upserted like artifacts.
    std::vector<NoteMapping> notes;
    /// Two-way mappings' settled fields, upserted; each one's container must be mapped.
    std::vector<MirrorState> mirrors;
    /// Cursor advances, stored as given (the store does not compare them).
    std::vector<Cursor> cursors;
    /// Dead letters resolved by this unit's writes.
    std::vector<DeadLetterRef> resolved_dead_letters;
    /// Records the target refused while this container was replayed (e.g. one artifact of it):
    /// each inserted with one attempt, or one more attempt with the newest message, like
    /// `DeadLetterStore::recordDeadLetter`. Written after `resolved_dead_letters`, so a record
    /// in both lists stays dead-lettered.
    std::vector<RefusedRecord> dead_letters;
    /// Playbook runs this container's replay triggers, stored with its mapping so that a crash
    /// cannot separate the copy from the intent: each recorded unless its trigger already is,
    /// like `PlaybookRunStore::recordPlaybookIntent`. Each one's `key` must be the unit's.
    std::vector<PlaybookRun> playbook_intents;
};

/// What `UnitOfWorkStore::commit` did with a unit's dead letters and intents.
struct CommitResult {
    /// The attempts so far of each of `UnitOfWork::dead_letters`, in order.
    std::vector<std::int64_t> dead_letter_attempts;
    /// The stored run of each of `UnitOfWork::playbook_intents`, in order; `created == false`
    /// for a trigger recorded earlier (do not trigger it again blindly).
    std::vector<RecordedIntent> intents;
};

/// All the store knows about one (route, target), read in one snapshot (for `status`).
/// What was done with the copy of a container deleted on the source (`on_source_delete`).
enum class DeletionAction {
    Kept,     ///< keep: recorded only
    Closed,   ///< close: status closed and a comment saying so
    Deleted,  ///< delete: the copy deleted
    Gone,     ///< close or delete: the copy was already gone from the target
};
/// Every action, in the order status and metrics list them.
inline constexpr DeletionAction kDeletionActions[] = {
    DeletionAction::Kept, DeletionAction::Closed, DeletionAction::Deleted, DeletionAction::Gone};
[[nodiscard]] std::string_view toString(DeletionAction action);
[[nodiscard]] std::optional<DeletionAction> parseDeletionAction(std::string_view text);

/// A mapped container found deleted on the source, kept after its mapping is forgotten
/// (`ReconcileStore`).
struct Tombstone {
    std::int64_t source_id = 0;
    std::int64_t generation = 1;
    std::int64_t target_id = 0;
    /// When the reconcile found it.
    std::string found_at;
    DeletionAction action = DeletionAction::Kept;
};

/// A (route, target)'s reconcile: the round in progress (`started_at` set; it resumes after
/// `after_id`) or none, and the figures of the last finished round.
struct ReconcileState {
    std::optional<std::string> started_at;
    std::int64_t after_id = 0;
    /// Of the round in progress.
    std::int64_t checked = 0;
    std::int64_t requests = 0;
    std::int64_t found = 0;
    /// The last finished round: when it ended, and what it cost and found.
    std::optional<std::string> finished_at;
    std::int64_t last_checked = 0;
    std::int64_t last_requests = 0;
    std::int64_t last_found = 0;
};

/// A custom list as last written to a target (`ListStore`).
struct ListCopy {
    std::string name;
    /// SHA-256 (hex) of the list's content as soar-sync writes it (compact JSON rows).
    std::string content_hash;
    std::int64_t rows = 0;
    std::int64_t bytes = 0;
    std::string written_at;
};

struct TargetStatus {
    RouteTarget key;
    std::vector<Cursor> cursors;
    std::optional<PassRecord> last_pass;
    TargetHealth health;
    MappingCounts mappings;
    std::int64_t dead_letters = 0;
    std::map<RunStatus, std::int64_t> playbook_runs;
    /// The custom lists copied there, by name.
    std::vector<ListCopy> lists;
    /// The reconcile, when one ran; the tombstones by what was done with the copies.
    std::optional<ReconcileState> reconcile;
    std::map<DeletionAction, std::int64_t> tombstones;
};

}  // namespace soar::state
