#include "ResultReporter.h"

#include "soar/client/Errors.h"

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

namespace soar::sync {
namespace {

using state::ReportState;
using state::RunStatus;

constexpr std::size_t kMaxMessage = 300;
constexpr std::size_t kMaxActions = 50;

/// A message on one line, cut at kMaxMessage characters.
std::string shortened(std::string text) {
    for (auto& c : text) {
        if (c == '\n' || c == '\r' || c == '|') c = ' ';
    }
    if (text.size() > kMaxMessage) text = text.substr(0, kMaxMessage) + "...";
    return text;
}

const char* outcomeOf(RunStatus status) {
    switch (status) {
        case RunStatus::Success:
            return "success";
        case RunStatus::Failed:
            return "failed";
        case RunStatus::Cancelled:
            return "cancelled";
        case RunStatus::TimedOut:
            return "timed out (cancelled by soar-sync at playbook_timeout)";
        case RunStatus::Intent:
        case RunStatus::Running:
            break;
    }
    return "running";
}

}  // namespace

ResultReporter::ResultReporter(PassScope& pass, MirrorSide& source)
    : pass_(pass), source_(source) {}

std::string ResultReporter::marker(const std::string& target, std::int64_t run_id) {
    return "[soar-sync:result:" + target + ":" + std::to_string(run_id) + "]";
}

std::string ResultReporter::text(const state::PlaybookRun& run, const std::string& target,
                                 const RunReport& report) {
    std::string out = "Playbook **" + run.playbook + "** on **" + target + "** (run " +
                      std::to_string(run.run_id.value_or(0)) + ", container " +
                      std::to_string(run.target_container_id) + "): **" + outcomeOf(run.status) +
                      "**\n\n";
    out += "- started: " + report.start_time.value_or(run.created_at) + "\n";
    out += "- ended: " + report.end_time.value_or(run.updated_at) + "\n";
    if (!run.message.empty()) out += "- message: " + shortened(run.message) + "\n";
    if (!report.actions.empty()) {
        out += "\n| action | app | status | message | results |\n|---|---|---|---|---|\n";
        std::size_t shown = 0;
        for (const auto& a : report.actions) {
            if (shown++ == kMaxActions) {
                out += "| ... and " + std::to_string(report.actions.size() - kMaxActions) +
                       " more | | | | |\n";
                break;
            }
            out += "| " + shortened(a.action.empty() ? a.name : a.action) + " | " +
                   shortened(a.app) + " | " + a.status + " | " + shortened(a.message) + " | " +
                   std::to_string(a.objects_successful) + "/" + std::to_string(a.objects) + " |\n";
        }
    } else {
        out += "\nNo actions ran.\n";
    }
    out += "\n" + marker(target, run.run_id.value_or(0)) + " reported by soar-sync";
    return out;
}

void ResultReporter::run() {
    for (const auto& run : pass_.store.unreportedPlaybookRuns(pass_.key)) {
        if (pass_.cancelled()) return;
        report(run);
    }
}

void ResultReporter::report(const state::PlaybookRun& run) {
    auto& store = pass_.store;
    if (!run.run_id) {  // never started on the target: nothing ran to report
        store.setPlaybookReport(run.id, ReportState::Skipped);
        return;
    }
    const bool comment = pass_.route.report_back == ReportBack::Comment;
    const auto kind = comment ? state::RecordKind::Comment : state::RecordKind::Note;
    const auto mark = marker(pass_.key.target, *run.run_id);
    if (run.report == ReportState::Sending) {
        // A crash came between the intent and the outcome: the note may be there already.
        bool there = false;
        source_.forEachNote(kind, run.source_container_id,
                            [&](std::int64_t, const std::string& existing) {
                                there = there || existing.find(mark) != std::string::npos;
                            });
        if (there) {
            store.setPlaybookReport(run.id, ReportState::Sent);
            return;
        }
    } else {
        store.setPlaybookReport(run.id, ReportState::Sending);
        if (pass_.options.playbooks)
            pass_.options.playbooks->crashPoint(CrashPoint::AfterReportIntent);
    }
    const auto body_text = text(run, pass_.key.target, pass_.target.runReport(*run.run_id));
    Poco::JSON::Object body;
    body.set("container_id", run.source_container_id);
    if (comment) {
        body.set("comment", body_text);
    } else {
        body.set("title", "soar-sync: " + pass_.key.target + " " + run.playbook + " " +
                              std::string(state::toString(run.status)));
        body.set("content", body_text);
        body.set("note_type", "general");
        body.set("note_format", "markdown");
    }
    try {
        (void)source_.addNote(kind, body);
    } catch (const RecordError& e) {
        store.setPlaybookReport(run.id, ReportState::Skipped);
        poco_warning(pass_.logger,
                     pass_.where() + "the outcome of playbook run " + std::to_string(*run.run_id) +
                         " could not be reported to " + pass_.route.source + " container " +
                         std::to_string(run.source_container_id) + ": " + refusalMessage(e));
        return;
    }
    if (pass_.options.playbooks)
        pass_.options.playbooks->crashPoint(CrashPoint::AfterReportWritten);
    store.setPlaybookReport(run.id, ReportState::Sent);
    ++counts_.results_reported;
    poco_information(pass_.logger, pass_.where() + "playbook run " + std::to_string(*run.run_id) +
                                       " (" + std::string(state::toString(run.status)) +
                                       ") reported to " + pass_.route.source + " container " +
                                       std::to_string(run.source_container_id));
}

}  // namespace soar::sync
