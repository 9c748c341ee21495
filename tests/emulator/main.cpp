// soar-emulator: serves an emulated Splunk SOAR REST API until SIGINT or SIGTERM.

#include "soar/emulator/Emulator.h"

#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <iostream>
#include <map>
#include <stdexcept>
#include <vector>

namespace {

/// With --seed and no --containers, this many containers are generated...
constexpr int kDefaultSeedContainers = 100;
/// ...each with this many artifacts unless --artifacts says otherwise.
constexpr int kDefaultSeedArtifacts = 3;

class EmulatorApp : public Poco::Util::ServerApplication {
protected:
    void defineOptions(Poco::Util::OptionSet& options) override {
        ServerApplication::defineOptions(options);
        auto add = [&](const std::string& name, const std::string& arg, const std::string& help,
                       bool repeatable = false) {
            Poco::Util::Option option(name, "", help);
            option.required(false).repeatable(repeatable);
            if (!arg.empty()) {
                option.argument(arg);
            }
            options.addOption(option);
        };
        add("help", "", "Print this help and exit.");
        add("host", "ADDR", "Address to listen on (default 127.0.0.1).");
        add("port", "N", "Port to listen on (default 8443; 0 = any free port).");
        add("token", "T",
            "Automation token accepted as ph-auth-token, Authorization: Bearer, or as the "
            "basic-auth password (default test-token).");
        add("user", "U",
            "Basic-auth user name; the only identity that may DELETE (default admin).");
        add("password", "P", "Password of --user (default password).");
        add("tls-cert", "FILE", "PEM server certificate; with --tls-key serves HTTPS.");
        add("tls-key", "FILE", "PEM private key of --tls-cert.");
        add("labels", "A,B",
            "Comma list of the container labels that exist (default events,incident).");
        add("seed", "N",
            "Seed of the generated data and of fault injection. With no --containers it "
            "generates 100 containers of 3 artifacts each.");
        add("containers", "C", "Number of seeded containers (default 0, or 100 with --seed).");
        add("artifacts", "M", "Artifacts per seeded container (default 3 when seeding).");
        add("notes", "N",
            "Notes, and as many comments, per seeded container (default 0). They come from "
            "their own seeded sequence: the containers and artifacts stay the same.");
        add("extra-label", "NAME:COUNT",
            "COUNT more seeded containers, after the others, with the label NAME (added to "
            "the labels if missing): records a target without NAME refuses.");
        add("coarse-time", "",
            "Whole-second timestamps: writes in one second tie, and seeded containers come 512 "
            "to a second.");
        add("null-update-time", "",
            "Never-edited containers report container_update_time and artifact_update_time as "
            "null instead of their create_time.");
        add("dedup-attachments", "",
            "A second upload of the same bytes to the same container answers the attachment it "
            "has instead of making a second one (the other reading of an undocumented case).");
        add("attachment-answer-without-vault-id", "",
            "Upload answers carry `hash` but no `vault_id`, as older servers answer.");
        add("embedded-answer-ids-only", "",
            "A container create with embedded artifacts answers their new ids "
            "(`new_artifact_ids`) only, as 8.5 does, without each one's result.");
        add("playbook", "REPO/NAME:OUTCOME:SECONDS",
            "A playbook whose runs stay 'running' for SECONDS, then end as OUTCOME (success or "
            "failed). REPO/ is optional (default local). Repeatable.",
            true);
        add("ph-user", "NAME",
            "A user (ph_user) that exists, after the built-ins 'admin' (id 1) and 'automation' "
            "(id 2): ids 3, 4, ... in the order given. Repeatable.",
            true);
        add("custom-field", "NAME[:required]",
            "A container custom field the instance defines. With any defined, a container "
            "write naming another custom field is refused, and a create without a required "
            "one. Repeatable (default: none defined, any accepted).",
            true);
        add("workbook-template", "SPEC",
            "A workbook template that exists (ids 1, 2, ... in the order given); SPEC is "
            "NAME:PHASE=TASK|TASK;PHASE=TASK..., a TASK ending in ! needs a closing note. "
            "Repeatable.",
            true);
        add("task-status-codes", "021|012",
            "Workbook task status codes for not started, in progress, complete. Default 021 "
            "(phantomcyber playbooks: 0/2/1); 012 gives splunkctl's labels (0/1/2).");
        add("status", "NAME:TYPE",
            "A custom container status after the built-ins new, open and closed; TYPE is new, "
            "open or resolved. Repeatable (at most 30).",
            true);
        add("remove-status", "NAME",
            "Deletes a status at start, e.g. open; container writes may still name new, open "
            "and closed. Repeatable.",
            true);
        add("large-result-kb", "N",
            "The first app run (geolocate ip) of every playbook run carries at least N KiB of "
            "result_data rows when it succeeds (default 0: one row).");
        add("list", "NAME=JSON",
            "A custom list (decided_list) that exists from the start, e.g. "
            "'blocked=[[\"10.0.0.1\"],[\"10.0.0.2\"]]' (ids 1, 2, ... in the "
            "order given; a value that is not a row becomes a one-cell row). Repeatable.",
            true);
        add("list-max-kb", "N",
            "Size ceiling of a custom list's content as JSON, in KiB (default 262144, SOAR's "
            "256 MB): a longer list is stored without its trailing rows, answered as a "
            "success, as SOAR truncates silently.");
        add("list-content-in-collection", "",
            "GET /rest/decided_list shows each list's content (by default only GET "
            "/rest/decided_list/<name or id> does).");
        add("fail-rate", "R",
            "Fraction (0..1) of /rest requests answered 500; half of the failed writes are "
            "applied before the 500.");
        add("throttle-rate", "R",
            "Fraction (0..1) of /rest requests answered 429 with Retry-After.");
        add("retry-after", "S", "Seconds in the Retry-After header of a 429 (default 1).");
        add("latency-ms", "N", "Delay added to every /rest request, in milliseconds.");
        add("threads", "N", "Server worker threads (default 16).");
    }

    void handleOption(const std::string& name, const std::string& value) override {
        ServerApplication::handleOption(name, value);
        if (name == "help") {
            help_ = true;
            stopOptionsProcessing();
            return;
        }
        if (name == "playbook") {
            playbooks_.push_back(value);
        } else if (name == "ph-user" || name == "custom-field" || name == "workbook-template" ||
                   name == "status" || name == "remove-status" || name == "list") {
            repeated_[name].push_back(value);
        } else {
            values_[name] = value;
        }
    }

    int main(const std::vector<std::string>& args) override {
        if (help_) {
            Poco::Util::HelpFormatter help(options());
            help.setCommand(commandName());
            help.setUsage("[options]");
            help.setHeader(
                "An emulator of the Splunk SOAR REST API (containers, artifacts, notes, "
                "comments, playbook, action and app runs, vault files, users, case workbooks, "
                "statuses, custom lists) with seeded data "
                "and fault injection. Options:");
            help.format(std::cout);
            return EXIT_OK;
        }
        if (!args.empty()) {
            std::cerr << "soar-emulator: unexpected argument '" << args.front()
                      << "' (see --help)\n";
            return EXIT_USAGE;
        }
        soar::emulator::EmulatorOptions options;
        try {
            options = parse();
        } catch (const std::exception& e) {
            std::cerr << "soar-emulator: " << e.what() << " (see --help)\n";
            return EXIT_USAGE;
        }
        try {
            soar::emulator::Emulator emulator(options);
            std::cout << "soar-emulator listening on " << emulator.baseUrl() << std::endl;
            waitForTerminationRequest();
            std::cout << "soar-emulator: stopping after " << emulator.requestCount() << " requests"
                      << std::endl;
        } catch (const Poco::Exception& e) {
            std::cerr << "soar-emulator: " << e.displayText() << "\n";
            return EXIT_UNAVAILABLE;
        } catch (const std::exception& e) {
            std::cerr << "soar-emulator: " << e.what() << "\n";
            return EXIT_UNAVAILABLE;
        }
        return EXIT_OK;
    }

private:
    static int toInt(const std::string& name, const std::string& value, int low, int high) {
        int n = 0;
        if (!Poco::NumberParser::tryParse(value, n) || n < low || n > high) {
            throw std::invalid_argument("--" + name + " expects an integer from " +
                                        std::to_string(low) + " to " + std::to_string(high) +
                                        ", not '" + value + "'");
        }
        return n;
    }

    static double toRate(const std::string& name, const std::string& value) {
        double d = 0;
        if (!Poco::NumberParser::tryParseFloat(value, d) || d < 0 || d > 1) {
            throw std::invalid_argument("--" + name + " expects a fraction from 0 to 1, not '" +
                                        value + "'");
        }
        return d;
    }

    static soar::emulator::PlaybookSpec toPlaybook(const std::string& value) {
        const Poco::StringTokenizer parts(value, ":", Poco::StringTokenizer::TOK_TRIM);
        if (parts.count() != 3) {
            throw std::invalid_argument("--playbook expects REPO/NAME:OUTCOME:SECONDS, not '" +
                                        value + "'");
        }
        soar::emulator::PlaybookSpec spec;
        const std::string& full = parts[0];
        const auto slash = full.find('/');
        if (slash != std::string::npos) {
            spec.repo = full.substr(0, slash);
            spec.name = full.substr(slash + 1);
        } else {
            spec.name = full;
        }
        spec.outcome = parts[1];
        if (spec.name.empty() || spec.repo.empty() ||
            (spec.outcome != "success" && spec.outcome != "failed") ||
            !Poco::NumberParser::tryParseFloat(parts[2], spec.seconds) || spec.seconds < 0) {
            throw std::invalid_argument(
                "--playbook expects REPO/NAME:OUTCOME:SECONDS with "
                "OUTCOME success or failed, not '" +
                value + "'");
        }
        return spec;
    }

    soar::emulator::EmulatorOptions parse() const {
        soar::emulator::EmulatorOptions o;
        o.port = 8443;
        auto has = [&](const char* n) { return values_.count(n) != 0; };
        auto get = [&](const char* n) { return values_.at(n); };
        if (has("host")) o.host = get("host");
        if (has("port")) o.port = static_cast<unsigned short>(toInt("port", get("port"), 0, 65535));
        if (has("token")) o.token = get("token");
        if (has("user")) o.user = get("user");
        if (has("password")) o.password = get("password");
        if (has("tls-cert")) o.tls_cert = get("tls-cert");
        if (has("tls-key")) o.tls_key = get("tls-key");
        if (o.tls_cert.empty() != o.tls_key.empty()) {
            throw std::invalid_argument("--tls-cert and --tls-key go together");
        }
        if (has("labels")) {
            o.labels.clear();
            const Poco::StringTokenizer labels(
                get("labels"), ",",
                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
            o.labels.assign(labels.begin(), labels.end());
        }
        if (has("seed")) {
            Poco::UInt64 seed = 0;
            if (!Poco::NumberParser::tryParseUnsigned64(get("seed"), seed)) {
                throw std::invalid_argument("--seed expects a non-negative integer");
            }
            o.seed = seed;
            o.containers = kDefaultSeedContainers;
            o.artifacts = kDefaultSeedArtifacts;
        }
        if (has("containers")) {
            o.containers = toInt("containers", get("containers"), 0, 10000000);
            o.artifacts = has("seed") ? o.artifacts : kDefaultSeedArtifacts;
        }
        if (has("artifacts")) o.artifacts = toInt("artifacts", get("artifacts"), 0, 10000);
        if (has("notes")) o.notes = toInt("notes", get("notes"), 0, 1000);
        if (has("extra-label")) {
            const std::string& value = get("extra-label");
            const auto colon = value.rfind(':');
            if (colon == std::string::npos || colon == 0) {
                throw std::invalid_argument("--extra-label expects NAME:COUNT, not '" + value +
                                            "'");
            }
            o.extra_label = value.substr(0, colon);
            o.extra_label_containers = toInt("extra-label", value.substr(colon + 1), 0, 10000000);
        }
        o.coarse_time = has("coarse-time");
        o.null_update_time = has("null-update-time");
        o.attachment_dedup = has("dedup-attachments");
        o.attachment_answer_without_vault_id = has("attachment-answer-without-vault-id");
        o.embedded_answer_ids_only = has("embedded-answer-ids-only");
        for (const auto& p : playbooks_) {
            o.playbooks.push_back(toPlaybook(p));
        }
        auto all = [&](const char* n) {
            const auto it = repeated_.find(n);
            return it == repeated_.end() ? std::vector<std::string>{} : it->second;
        };
        o.users = all("ph-user");
        for (const auto& f : all("custom-field")) {
            o.custom_fields.push_back(soar::emulator::parseCustomField(f));
        }
        for (const auto& t : all("workbook-template")) {
            o.workbook_templates.push_back(soar::emulator::parseWorkbookTemplate(t));
        }
        for (const auto& st : all("status")) {
            o.statuses.push_back(soar::emulator::parseStatus(st));
        }
        o.removed_statuses = all("remove-status");
        if (has("large-result-kb")) {
            o.large_result_kb = toInt("large-result-kb", get("large-result-kb"), 0, 1000000);
        }
        for (const auto& l : all("list")) {
            o.lists.push_back(soar::emulator::parseList(l));
        }
        if (has("list-max-kb")) {
            o.list_max_bytes =
                static_cast<std::size_t>(toInt("list-max-kb", get("list-max-kb"), 1, 4194304)) *
                1024;
        }
        o.list_content_in_collection = has("list-content-in-collection");
        if (has("task-status-codes")) {
            o.task_status_codes = get("task-status-codes");
            if (o.task_status_codes != "021" && o.task_status_codes != "012") {
                throw std::invalid_argument("--task-status-codes expects 021 or 012, not '" +
                                            o.task_status_codes + "'");
            }
        }
        if (has("fail-rate")) o.fail_rate = toRate("fail-rate", get("fail-rate"));
        if (has("throttle-rate")) o.throttle_rate = toRate("throttle-rate", get("throttle-rate"));
        if (o.fail_rate + o.throttle_rate > 1) {
            throw std::invalid_argument("--fail-rate plus --throttle-rate exceeds 1");
        }
        if (has("retry-after"))
            o.retry_after_seconds = toInt("retry-after", get("retry-after"), 0, 86400);
        if (has("latency-ms")) o.latency_ms = toInt("latency-ms", get("latency-ms"), 0, 600000);
        if (has("threads")) o.threads = toInt("threads", get("threads"), 1, 1024);
        return o;
    }

    bool help_ = false;
    std::map<std::string, std::string> values_;
    std::vector<std::string> playbooks_;
    std::map<std::string, std::vector<std::string>> repeated_;
};

}  // namespace

POCO_SERVER_MAIN(EmulatorApp)
