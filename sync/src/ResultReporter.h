#pragma once

/// ResultReporter: `report_back` (design.md §5, "Results travel back"). Every playbook run the
/// route started on this target ends in exactly one note (or comment) on the source container:
/// playbook, target, outcome, start, end, and each action with its app, status, message and
/// result counts (never the result data itself, which can be megabytes).
///
/// Exactly once across crashes: the report's intent (ReportState::Sending) is stored before the
/// note is written and the outcome after; a run found Sending (a crash between the two) is
/// looked for on the source by its marker `[soar-sync:result:<target>:<run id>]` and written
/// only when it is not there. Until the note is written, every pass tries again (at least once
/// after the run ended). A source container that refuses it (deleted, say) is logged and the
/// report skipped. Notes with that marker are never copied forward by any route.
///
/// Thread safety: runs on the pass's thread. Ownership: borrows everything.

#include "PassScope.h"
#include "soar/sync/MirrorSide.h"

namespace soar::sync {

class ResultReporter {
public:
    ResultReporter(PassScope& pass, MirrorSide& source);

    /// Reports the ended runs not reported yet; transient errors propagate (the run stays due).
    void run();
    [[nodiscard]] const state::PassCounts& counts() const { return counts_; }

    /// The marker of a run's report.
    [[nodiscard]] static std::string marker(const std::string& target, std::int64_t run_id);
    /// The report's text (markdown), marker last.
    [[nodiscard]] static std::string text(const state::PlaybookRun& run, const std::string& target,
                                          const RunReport& report);

private:
    void report(const state::PlaybookRun& run);

    PassScope& pass_;
    MirrorSide& source_;
    state::PassCounts counts_;
};

}  // namespace soar::sync
