// SoarTarget::runReport: what a report of an ended playbook run says (report_back), read from
// the target's playbook_run, action_run and app_run list views.

#include "SoarRecords.h"
#include "soar/sync/SoarAdapter.h"

namespace soar::sync {

RunReport SoarTarget::runReport(std::int64_t run_id) {
    RunReport report;
    if (const auto run = api_.get(collection::kPlaybookRun, run_id)) {
        report.start_time = optString(**run, "start_time");
        report.end_time = optString(**run, "end_time");
    }
    Query actions;
    actions.exact("playbook_run", run_id).sort("id").pageSize(page_size_);
    forEachPage(api_, "action_run", actions, [&](const Page& page) {
        for (const auto& record : page.records) {
            ActionReport action;
            action.name = optString(*record, "name").value_or("");
            action.action = optString(*record, "action").value_or("");
            action.status = optString(*record, "status").value_or("");
            action.message = optString(*record, "message").value_or("");
            const auto id = optId(*record, "id");
            if (id) {
                Query apps;
                apps.exact("action_run", *id).sort("id").pageSize(page_size_);
                forEachPage(api_, "app_run", apps, [&](const Page& app_page) {
                    for (const auto& app : app_page.records) {
                        const auto name = optString(*app, "app_name").value_or("");
                        if (!name.empty() && action.app.find(name) == std::string::npos) {
                            action.app += (action.app.empty() ? "" : ", ") + name;
                        }
                        if (const auto summary = app->getObject("result_summary")) {
                            action.objects += optId(*summary, "total_objects").value_or(0);
                            action.objects_successful +=
                                optId(*summary, "total_objects_successful").value_or(0);
                        }
                    }
                    return true;
                });
            }
            report.actions.push_back(std::move(action));
        }
        return true;
    });
    return report;
}

}  // namespace soar::sync
