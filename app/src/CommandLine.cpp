#include "soar/app/CommandLine.h"

#include "soar/app/Config.h"

#include <Poco/NumberParser.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>

#include <algorithm>
#include <sstream>

namespace soar::app {

using Poco::Util::Option;

void defineCliOptions(Poco::Util::OptionSet& options, bool with_server_options) {
    options.addOption(Option("help", "h", "Print this help and exit."));
    options.addOption(Option("version", "V", "Print the version and exit."));
    options.addOption(Option("config", "c",
                             "The config file (default: $SOAR_SYNC_CONFIG, else "
                             "/etc/soar-sync/soar-sync.ini).")
                          .argument("FILE"));
    options.addOption(
        Option("route", "r", "sync-once, resync, retry-dead, dead-letters: only this route.")
            .argument("R"));
    options.addOption(Option("target", "t", "resync: only this target.").argument("T"));
    options.addOption(Option("container", "",
                             "resync: these source container ids (repeatable; "
                             "also a comma list).")
                          .argument("ID")
                          .repeatable(true));
    options.addOption(Option("id", "",
                             "retry-dead: only the dead letters of these source ids "
                             "(repeatable; also a comma list).")
                          .argument("N")
                          .repeatable(true));
    options.addOption(Option("since", "", "resync: containers created or edited since then.")
                          .argument("ISO8601"));
    options.addOption(Option("all", "", "resync: every matching container."));
    options.addOption(Option("json", "", "status, dead-letters: print JSON instead of a table."));
    options.addOption(
        Option("routes", "",
               "run: only these routes (a comma list, or repeated; replaces [cluster] routes).")
            .argument("A,B")
            .repeatable(true));
    options.addOption(
        Option("to", "", "migrate-state: the PostgreSQL database to copy the state into.")
            .argument("URL"));
    options.addOption(Option("into-non-empty", "",
                             "migrate-state: replace the state the database already holds."));
    if (with_server_options) {
        options.addOption(Option("daemon", "", "run: detach and run in the background."));
        options.addOption(Option("umask", "", "run --daemon: the process umask.").argument("MASK"));
        options.addOption(Option("pidfile", "", "run: write the process id to F.").argument("F"));
    }
}

namespace {

/// Adds the ids of a comma list to `ids`; `option` names the option in errors.
void addIds(std::vector<std::int64_t>& ids, const std::string& text, const char* option,
            const char* what) {
    std::istringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item.empty()) continue;
        Poco::Int64 id = 0;
        if (!Poco::NumberParser::tryParse64(item, id) || id <= 0) {
            throw UsageError(std::string(option) + ": expected " + what + ", got '" + item + "'");
        }
        ids.push_back(id);
    }
}

/// Adds the route names of a comma list to `routes`; a name given twice is an error.
void addRoutes(std::vector<std::string>& routes, const std::string& text) {
    const auto names = splitList(text);
    if (names.empty()) throw UsageError("--routes: expected a comma list of route names");
    for (const auto& name : names) {
        if (std::find(routes.begin(), routes.end(), name) != routes.end()) {
            throw UsageError("--routes: names '" + name + "' twice");
        }
        routes.push_back(name);
    }
}

const std::vector<std::pair<std::string, Command>> kCommands = {
    {"run", Command::Run},
    {"sync-once", Command::SyncOnce},
    {"resync", Command::Resync},
    {"retry-dead", Command::RetryDead},
    {"dead-letters", Command::DeadLetters},
    {"status", Command::Status},
    {"migrate-state", Command::MigrateState},
    {"check", Command::Check}};

std::string commandList() {
    std::string out;
    for (std::size_t i = 0; i < kCommands.size(); ++i) {
        out += i == 0 ? "" : (i + 1 == kCommands.size() ? " or " : ", ");
        out += kCommands[i].first;
    }
    return out;
}

Command commandOf(const std::string& word) {
    std::vector<std::string> names;
    for (const auto& [name, command] : kCommands) {
        if (name == word) return command;
        names.push_back(name);
    }
    const auto guess = nearest(word, names);
    throw UsageError(
        "unknown command '" + word + "'" +
        (guess.empty() ? "; expected " + commandList() : "; did you mean '" + guess + "'?"));
}

}  // namespace

CommandLine parseCommandLine(const std::vector<std::string>& args) {
    Poco::Util::OptionSet options;
    defineCliOptions(options, true);
    Poco::Util::OptionProcessor processor(options);
    processor.setUnixStyle(true);
    CommandLine cli;
    std::vector<std::string> positional;
    std::vector<std::string> given;
    try {
        for (const auto& arg : args) {
            std::string name;
            std::string value;
            if (!processor.process(arg, name, value)) {
                positional.push_back(arg);
                continue;
            }
            if (name.empty()) continue;  // an option whose value is the next argument
            given.push_back(name);
            if (name == "help") cli.help = true;
            if (name == "version") cli.version = true;
            if (name == "config") cli.config = value;
            if (name == "route") cli.route = value;
            if (name == "target") cli.target = value;
            if (name == "container") {
                addIds(cli.containers, value, "--container", "a source container id");
            }
            if (name == "id") addIds(cli.ids, value, "--id", "a source record id");
            if (name == "since") cli.since = value;
            if (name == "all") cli.all = true;
            if (name == "json") cli.json = true;
            if (name == "daemon") cli.daemon = true;
            if (name == "pidfile") cli.pidfile = value;
            if (name == "routes") addRoutes(cli.routes, value);
            if (name == "to") cli.to = value;
            if (name == "into-non-empty") cli.into_non_empty = true;
        }
        processor.checkRequired();
        // Poco waits for the value of `--route R` in the next argument; at the end there is
        // none, and it would pass silently.
        if (!args.empty()) {
            const auto& last = args.back();
            for (const char* name :
                 {"--config", "-c", "--route", "-r", "--target", "-t", "--container", "--id",
                  "--since", "--pidfile", "--umask", "--routes", "--to"}) {
                if (last == name) throw UsageError(last + " needs a value");
            }
        }
    } catch (const Poco::Util::OptionException& e) {
        throw UsageError(e.displayText());
    }
    if (cli.help || cli.version) return cli;
    if (positional.empty()) {
        throw UsageError("missing command; expected " + commandList());
    }
    cli.command = commandOf(positional.front());
    // `--container 1 2 3` and `--id 1 2 3`: ids after the first may follow as plain
    // arguments.
    for (std::size_t i = 1; i < positional.size(); ++i) {
        if (cli.command == Command::Resync && !cli.containers.empty()) {
            addIds(cli.containers, positional[i], "--container", "a source container id");
        } else if (cli.command == Command::RetryDead && !cli.ids.empty()) {
            addIds(cli.ids, positional[i], "--id", "a source record id");
        } else {
            throw UsageError("unexpected argument '" + positional[i] + "'");
        }
    }
    const auto allowed = [&](std::initializer_list<const char*> names) {
        for (const auto& name : given) {
            if (name == "config" || name == "umask") continue;
            bool ok = false;
            for (const char* a : names) ok = ok || name == a;
            if (!ok) {
                throw UsageError("--" + name + " does not apply to '" + positional.front() + "'");
            }
        }
    };
    switch (cli.command) {
        case Command::Run:
            allowed({"daemon", "pidfile", "routes"});
            break;
        case Command::MigrateState:
            allowed({"to", "into-non-empty"});
            if (cli.to.empty()) throw UsageError("migrate-state needs --to URL");
            break;
        case Command::SyncOnce:
            allowed({"route"});
            break;
        case Command::RetryDead:
            allowed({"route", "id"});
            break;
        case Command::DeadLetters:
            allowed({"route", "json"});
            break;
        case Command::Resync: {
            allowed({"route", "target", "container", "since", "all"});
            if (cli.route.empty()) throw UsageError("resync needs --route R");
            const int selectors =
                (cli.containers.empty() ? 0 : 1) + (cli.since.empty() ? 0 : 1) + (cli.all ? 1 : 0);
            if (selectors != 1) {
                throw UsageError(
                    "resync needs exactly one of --container ID..., --since ISO8601 "
                    "and --all");
            }
            break;
        }
        case Command::Status:
            allowed({"json"});
            break;
        case Command::Check:
            allowed({});
            break;
        case Command::None:
            break;
    }
    return cli;
}

std::string usageText() {
    Poco::Util::OptionSet options;
    defineCliOptions(options, true);
    std::ostringstream out;
    Poco::Util::HelpFormatter help(options);
    help.setUnixStyle(true);
    help.setWidth(100);
    help.setCommand("soar-sync");
    help.setUsage("[--config FILE] COMMAND [OPTIONS]");
    help.setHeader(
        "Keeps Splunk SOAR instances in step: copies containers, artifacts and playbook runs "
        "from a source instance to its targets.\n\n"
        "Commands:\n"
        "  run [--daemon] [--pidfile F] [--routes A,B]\n"
        "                                    every route (or those), forever, sharing them\n"
        "                                    with other daemons on the same state store;\n"
        "                                    SIGTERM stops cleanly\n"
        "  sync-once [--route R]             one pass of each route, then exit\n"
        "  resync --route R [--target T] (--container ID... | --since ISO8601 | --all)\n"
        "                                    replay records even when unchanged\n"
        "  retry-dead [--route R] [--id N...]  re-drive dead-lettered records\n"
        "  dead-letters [--route R] [--json] list them: route, target, kind, source id,\n"
        "                                    attempts, first and last seen, the message\n"
        "  status [--json]                   what the state store knows; no network; exit\n"
        "                                    0 healthy, 1 dead letters or a failing target,\n"
        "                                    3 no pass yet\n"
        "  migrate-state --to URL [--into-non-empty]\n"
        "                                    copy the SQLite state file whole into a\n"
        "                                    PostgreSQL database (password from [state]\n"
        "                                    password_env or password_file)\n"
        "  check                             config, state store, instances, tokens, labels,\n"
        "                                    playbooks\n\n"
        "Options:");
    help.setFooter(
        "Exit codes: 0 ok, 1 records in error, 64 usage, 69 a SOAR instance or the state "
        "database unavailable, 70 internal error, 75 a route's owner did not hand it over in "
        "time, 78 config error (a missing token or password included). status: 0 healthy, 1 "
        "dead letters or a failing target, 3 no pass yet.");
    help.format(out);
    return out.str();
}

}  // namespace soar::app
