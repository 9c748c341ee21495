// Action runs and app runs: what a playbook run does, as soar-api-more.md §6 reads them.

#include "Model.h"

#include <algorithm>

namespace soar::emulator {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

/// An action a playbook runs, on one asset of one app (no app or asset table exists: the
/// ids are fixed).
struct ActionSpec {
    const char* action;
    const char* block;  ///< the action run's `name`, as the playbook editor names blocks
    std::int64_t app;
    const char* app_name;
    const char* app_version;
    std::int64_t asset;
};

const ActionSpec kActions[] = {
    {"geolocate ip", "geolocate_ip_1", 1, "MaxMind", "2.3.1", 1},
    {"whois ip", "whois_ip_1", 2, "WHOIS RDAP", "2.1.0", 2},
};

/// The address an action of container `container` looked at (the same for the same id).
std::string addressOf(std::int64_t container) {
    return "10." + std::to_string((container >> 16) & 0xff) + "." +
           std::to_string((container >> 8) & 0xff) + "." + std::to_string(container & 0xff);
}

Object::Ptr summaryCounts(std::int64_t total, std::int64_t successful) {
    Object::Ptr summary = new Object;
    summary->set("total_objects", total);
    summary->set("total_objects_successful", successful);
    return summary;
}

/// One data row of a successful action on `ip`; `row` numbers the rows of a large result.
Object::Ptr dataRow(const ActionSpec& spec, const std::string& ip, std::size_t row) {
    Object::Ptr data = new Object;
    if (spec.app == 1) {
        data->set("ip", ip);
        data->set("city_name", "Reston");
        data->set("state_name", "Virginia");
        data->set("country_name", "United States");
        data->set("country_iso_code", "US");
        data->set("continent_name", "North America");
        data->set("postal_code", "20190");
        data->set("time_zone", "America/New_York");
        data->set("latitude", 38.9687);
        data->set("longitude", -77.3411);
    } else {
        data->set("query", ip);
        data->set("asn", "64512");
        data->set("asn_description", "EXAMPLE-NET, US");
        data->set("asn_country_code", "US");
        Object::Ptr network = new Object;
        network->set("cidr", "10.0.0.0/8");
        network->set("name", "PRIVATE-ADDRESS-ABLK-RFC1918-IANA-RESERVED");
        data->set("network", network);
    }
    if (row > 0) {
        data->set("row", static_cast<Poco::Int64>(row));
        data->set("detail", std::string(160, static_cast<char>('a' + row % 26)));
    }
    return data;
}

Object::Ptr resultSummary(const ActionSpec& spec) {
    Object::Ptr summary = new Object;
    if (spec.app == 1) {
        summary->set("city", "Reston");
        summary->set("state", "Virginia");
        summary->set("country", "United States");
        summary->set("latitude", 38.9687);
        summary->set("longitude", -77.3411);
    } else {
        summary->set("asn", "64512");
        summary->set("country_code", "US");
        summary->set("nets", 1);
    }
    return summary;
}

const char* successMessage(const ActionSpec& spec) {
    return spec.app == 1 ? "City: Reston, State: Virginia, Country: United States"
                         : "ASN: 64512, Country: US, Nets: 1";
}

bool wantsExpensive(const QueryParams& query) {
    for (const auto& [name, value] : query) {
        if (name == "include_expensive") {
            return value != "false" && value != "False" && value != "0";
        }
    }
    return false;
}

Object::Ptr withoutResultData(const Object::Ptr& row) {
    Object::Ptr view = new Object(*row);
    view->remove("result_data");
    return view;
}

}  // namespace

std::size_t Model::actionCount(std::int64_t playbook) { return playbook % 2 == 1 ? 2 : 1; }

void Model::createActions(const Ptr& run) {
    const std::int64_t run_id = run->getValue<Poco::Int64>("id");
    const std::int64_t playbook = run->getValue<Poco::Int64>("playbook");
    const Var started = run->get("start_time");
    auto& ids = run_actions_[run_id];
    for (std::size_t i = 0; i < actionCount(playbook); ++i) {
        const ActionSpec& spec = kActions[i];
        Ptr action = new Object;
        action->set("name", spec.block);
        action->set("action", spec.action);
        action->set("type", "investigate");
        action->set("status", "running");
        action->set("message", "");
        action->set("playbook_run", run_id);
        action->set("playbook", playbook);
        action->set("container", run->get("container"));
        action->set("owner", run->get("owner"));
        action->set("app", spec.app);
        action->set("app_name", spec.app_name);
        action->set("asset", spec.asset);
        action->set("create_time", started);
        action->set("start_time", started);
        action->set("end_time", Var());
        action->set("update_time", started);
        action->set("version", 1);
        const std::int64_t action_id = action_runs_.insert(action);

        Ptr app_run = new Object;
        app_run->set("action", spec.action);
        app_run->set("action_run", action_id);
        app_run->set("app", spec.app);
        app_run->set("app_name", spec.app_name);
        app_run->set("app_version", spec.app_version);
        app_run->set("asset", spec.asset);
        app_run->set("container", run->get("container"));
        app_run->set("playbook_run", run_id);
        app_run->set("effective_user", run->get("effective_user"));
        app_run->set("start_time", started);
        app_run->set("end_time", Var());
        app_run->set("status", "running");
        app_run->set("message", "");
        app_run->set("exception_occured", false);
        app_run->set("extra_data", Array::Ptr(new Array));
        app_run->set("result_summary", summaryCounts(0, 0));
        app_run->set("result_data", Array::Ptr(new Array));
        app_run->set("version", 1);
        ids.emplace_back(action_id, app_runs_.insert(app_run));
    }
}

void Model::finishActions(std::int64_t run_id, const std::string& outcome, const std::string& end) {
    const auto found = run_actions_.find(run_id);
    if (found == run_actions_.end()) {
        return;
    }
    const auto ids = found->second;
    run_actions_.erase(found);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const ActionSpec& spec = kActions[i];
        const auto [action_id, app_run_id] = ids[i];
        const Ptr action = action_runs_.find(action_id);
        const Ptr app_run = app_runs_.find(app_run_id);
        if (action.isNull() || app_run.isNull()) {
            continue;  // deleted with their container
        }
        // A failed run failed on its last action; a cancelled one stopped all of them
        // (action runs know no "cancelled": they fail with the message "cancelled").
        const bool failed = outcome == "cancelled" || (outcome == "failed" && i + 1 == ids.size());
        const std::string ip = addressOf(action->getValue<Poco::Int64>("container"));
        std::string message;
        if (outcome == "cancelled") {
            message = "cancelled";
        } else if (failed) {
            message = std::string("Error connecting to server: the ") + spec.app_name +
                      " asset did not answer for " + ip;
        } else {
            message = successMessage(spec);
        }
        Ptr action_copy = new Object(*action);
        action_copy->set("status", failed ? "failed" : "success");
        action_copy->set("message",
                         failed ? message : std::string("1 action succeeded. ") + message);
        action_copy->set("end_time", end);
        action_copy->set("update_time", end);
        action_copy->set("version", action->getValue<Poco::Int64>("version") + 1);
        action_runs_.rows.replace(action_id, action_copy);

        Ptr app_copy = new Object(*app_run);
        app_copy->set("status", failed ? "failed" : "success");
        app_copy->set("message", message);
        app_copy->set("end_time", end);
        app_copy->set("version", app_run->getValue<Poco::Int64>("version") + 1);
        Object::Ptr result = new Object;
        result->set("status", failed ? "failed" : "success");
        result->set("message", message);
        Object::Ptr parameter = new Object;
        parameter->set("ip", ip);
        Object::Ptr context = new Object;
        context->set("artifact_id", 0);
        context->set("guid",
                     "00000000-0000-4000-8000-" + std::to_string(100000000000 + app_run_id));
        context->set("parent_action_run", Array::Ptr(new Array));
        parameter->set("context", context);
        result->set("parameter", parameter);
        Array::Ptr data = new Array;
        if (!failed) {
            data->add(dataRow(spec, ip, 0));
            // The first app run of each playbook run may be made large on purpose.
            const std::size_t wanted =
                i == 0 && options_.large_result_kb > 0
                    ? static_cast<std::size_t>(options_.large_result_kb) * 1024
                    : 0;
            std::size_t size = toJson(data).size();
            for (std::size_t row = 1; size < wanted; ++row) {
                const Object::Ptr next = dataRow(spec, ip, row);
                size += toJson(next).size() + 2;
                data->add(next);
            }
        }
        result->set("data", data);
        result->set("summary", failed ? Object::Ptr(new Object) : resultSummary(spec));
        Array::Ptr result_data = new Array;
        result_data->add(result);
        app_copy->set("result_data", result_data);
        app_copy->set("result_summary", summaryCounts(1, failed ? 0 : 1));  // one parameter
        app_runs_.rows.replace(app_run_id, app_copy);
    }
}

void Model::hideExpensive(Response& page, const QueryParams& query) {
    if (wantsExpensive(query)) {
        return;
    }
    for (auto& row : page.rows) {
        row = withoutResultData(row);
    }
}

Response Model::routeActions(const Request& request, const std::vector<std::string>& parts) {
    const bool app_runs = parts[1] == app_runs_.name;
    if (parts.size() == 4 && !app_runs && parts[3] == "app_runs") {
        const auto id = asId(Var(parts[2]));
        if (!id) {
            throw ApiError(404, "Unknown resource: " + request.path);
        }
        if (request.method != "GET") {
            Response r =
                jsonResponse(405, failedBody("Method \"" + request.method + "\" not allowed."));
            r.allow = "GET";
            return r;
        }
        if (action_runs_.find(*id).isNull()) {
            throw ApiError(404,
                           "Invalid action_run id: " + std::to_string(*id) + " (no such record)");
        }
        const std::int64_t action = *id;
        Response page = list(app_runs_, request.query, nullptr, [action](const Object& row) {
            return row.getValue<Poco::Int64>("action_run") == action;
        });
        hideExpensive(page, request.query);
        return page;
    }
    if (app_runs && parts.size() == 3 && request.method == "GET") {
        if (const auto id = asId(Var(parts[2]))) {
            if (const Ptr row = app_runs_.find(*id); !row.isNull()) {
                return jsonResponse(200,
                                    wantsExpensive(request.query) ? row : withoutResultData(row));
            }
        }
    }
    Response r = routeSimple(app_runs ? app_runs_ : action_runs_, request, parts);
    if (app_runs && r.envelope) {
        hideExpensive(r, request.query);
    }
    return r;
}

}  // namespace soar::emulator
