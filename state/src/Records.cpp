#include "soar/state/Records.h"

namespace soar::state {

std::string_view toString(Stream stream) {
    switch (stream) {
        case Stream::ContainersCreated:
            return "containers_created";
        case Stream::ContainersUpdated:
            return "containers_updated";
        case Stream::Artifacts:
            return "artifacts";
        case Stream::Notes:
            return "notes";
        case Stream::Comments:
            return "comments";
        case Stream::Attachments:
            return "attachments";
        case Stream::Tasks:
            return "tasks";
        case Stream::CopiesUpdated:
            return "copies_updated";
        case Stream::CopyNotes:
            return "copy_notes";
        case Stream::CopyComments:
            return "copy_comments";
        case Stream::CopyTasks:
            return "copy_tasks";
    }
    return "unknown";
}

std::optional<Stream> parseStream(std::string_view name) {
    for (auto s :
         {Stream::ContainersCreated, Stream::ContainersUpdated, Stream::Artifacts, Stream::Notes,
          Stream::Comments, Stream::Attachments, Stream::Tasks, Stream::CopiesUpdated,
          Stream::CopyNotes, Stream::CopyComments, Stream::CopyTasks}) {
        if (toString(s) == name) return s;
    }
    return std::nullopt;
}

std::string_view toString(TriggerKind kind) {
    return kind == TriggerKind::Create ? "create" : "update";
}

std::string_view toString(RunStatus status) {
    switch (status) {
        case RunStatus::Intent:
            return "intent";
        case RunStatus::Running:
            return "running";
        case RunStatus::Success:
            return "success";
        case RunStatus::Failed:
            return "failed";
        case RunStatus::Cancelled:
            return "cancelled";
        case RunStatus::TimedOut:
            return "timed_out";
    }
    return "unknown";
}

bool isTerminal(RunStatus status) {
    return status != RunStatus::Intent && status != RunStatus::Running;
}

std::string_view toString(RecordKind kind) {
    switch (kind) {
        case RecordKind::Container:
            return "container";
        case RecordKind::Artifact:
            return "artifact";
        case RecordKind::Note:
            return "note";
        case RecordKind::Comment:
            return "comment";
        case RecordKind::Playbook:
            return "playbook";
        case RecordKind::Attachment:
            return "attachment";
        case RecordKind::Task:
            return "task";
    }
    return "unknown";
}

std::string_view toString(ReportState state) {
    switch (state) {
        case ReportState::None:
            return "none";
        case ReportState::Sending:
            return "sending";
        case ReportState::Sent:
            return "sent";
        case ReportState::Skipped:
            return "skipped";
    }
    return "none";
}

std::string_view toString(DeletionAction action) {
    switch (action) {
        case DeletionAction::Kept:
            return "kept";
        case DeletionAction::Closed:
            return "closed";
        case DeletionAction::Deleted:
            return "deleted";
        case DeletionAction::Gone:
            return "gone";
    }
    return "kept";
}

std::optional<DeletionAction> parseDeletionAction(std::string_view text) {
    for (const auto action : kDeletionActions) {
        if (toString(action) == text) return action;
    }
    return std::nullopt;
}

}  // namespace soar::state
