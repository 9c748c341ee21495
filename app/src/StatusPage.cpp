/// The `/` page: renderHtml() of StatusRender.h. One self-contained HTML document (inline CSS,
/// no script, no external resource, so it works offline and behind any proxy) that refreshes
/// itself. Every text from the snapshot goes through htmlEscape(); times are shown relative to
/// the snapshot's `now`, with the absolute time in a tooltip.

#include "StatusText.h"
#include "soar/app/StatusRender.h"
#include "soar/client/Timestamp.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace soar::app {

namespace {

constexpr const char* kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;background:#f5f7fa;color:#1f2328;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif}
a{color:#0b5cad}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12.5px}
header{background:#1f2933;color:#f5f7fa;padding:0 28px;height:52px;display:flex;align-items:center;gap:14px}
header .brand{font-size:17px;font-weight:650;letter-spacing:.01em}
header .version{color:#9aa5b1;font-size:13px}
header nav{margin-left:auto;display:flex;gap:4px}
header nav a{color:#cbd2d9;text-decoration:none;padding:5px 10px;border-radius:6px;font-size:13px}
header nav a:hover{background:#323f4b;color:#fff}
main{max-width:1280px;margin:0 auto;padding:22px 28px 8px}
.banner{border:1px solid;border-left-width:6px;border-radius:8px;padding:14px 18px;margin-bottom:10px}
.banner h2{margin:0;font-size:19px;display:flex;align-items:center;gap:10px}
.banner p{margin:4px 0 0}
.banner ul{margin:8px 0 0;padding-left:20px}
.banner li{margin:2px 0;overflow-wrap:anywhere}
.banner .dot{width:12px;height:12px;border-radius:50%;display:inline-block;background:currentColor}
.banner.healthy{background:#e6f6ec;border-color:#2f9e5b;color:#145c32}
.banner.degraded{background:#fff6db;border-color:#d9a21b;color:#6b4a00}
.banner.failing{background:#fdecec;border-color:#d64545;color:#8a1c1c}
.meta{color:#616e7c;font-size:13px;margin:0 2px 20px}
section.route{background:#fff;border:1px solid #d9e2ec;border-radius:8px;margin-bottom:22px;
box-shadow:0 1px 2px rgba(16,24,40,.04)}
.route-head{display:flex;align-items:baseline;gap:12px;flex-wrap:wrap;padding:12px 16px;
border-bottom:1px solid #e4e7eb}
.route-head h2{margin:0;font-size:16px}
.route-head .from{color:#52606d;font-size:13px}
.route-head .direction{color:#3e4c59;font-size:12px;background:#eef1f4;border-radius:999px;
padding:1px 9px}
table{border-collapse:collapse;width:100%}
th,td{padding:9px 14px;text-align:left;vertical-align:top}
thead th{font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:#616e7c;
font-weight:600;background:#f8fafc;border-bottom:1px solid #e4e7eb;white-space:nowrap}
tbody tr+tr td{border-top:1px solid #eef1f4}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nowrap,th.fit,td.fit{white-space:nowrap}
th.fit,td.fit{width:1%}
.name{font-weight:600}
.url a,.url{color:#52606d;text-decoration:none;white-space:nowrap}
.url a:hover{text-decoration:underline}
.sub{color:#616e7c;font-size:12.5px}
.lists{color:#3e4c59;font-size:12.5px;margin:6px 12px}
.lease{color:#3e4c59;font-size:12.5px;margin:8px 16px}
.lease.mine{color:#145c32}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;
white-space:nowrap}
.pill.ok{background:#e6f6ec;color:#145c32}
.pill.warn{background:#fff1c2;color:#6b4a00}
.pill.bad{background:#fde2e2;color:#8a1c1c}
.pill.idle{background:#e4e7eb;color:#3e4c59}
.pill.run{background:#e0ecfb;color:#0b4a8f}
tr.error td{padding-top:0;color:#8a1c1c;font-size:12.5px;overflow-wrap:anywhere}
progress{-webkit-appearance:none;appearance:none;width:170px;height:8px;border:0;
border-radius:4px;background:#e4e7eb;vertical-align:middle}
progress::-webkit-progress-bar{background:#e4e7eb;border-radius:4px}
progress::-webkit-progress-value{background:#2f80d1;border-radius:4px}
progress::-moz-progress-bar{background:#2f80d1;border-radius:4px}
.mapped td{padding:0 8px 0 0;border:0}
details summary{cursor:pointer;color:#52606d;font-size:12.5px;white-space:nowrap}
details ul{margin:4px 0 0;padding-left:16px;font-size:12.5px}
.dead{border-top:1px solid #e4e7eb;padding:12px 16px 14px}
.dead h3{margin:0 0 8px;font-size:14px}
.dead table{border:1px solid #eef1f4;border-radius:6px}
.dead td{border-top:1px solid #eef1f4;font-size:13px}
.dead td.msg{color:#8a1c1c;overflow-wrap:anywhere}
.hint{margin:10px 0 0;color:#3e4c59;font-size:13px}
.hint code{background:#f0f4f8;border:1px solid #e4e7eb;border-radius:4px;padding:1px 5px}
.empty{color:#616e7c;padding:14px 16px;margin:0}
footer{max-width:1280px;margin:0 auto;padding:0 28px 28px;color:#7b8794;font-size:12.5px}
)css";

std::string str(std::string_view v) { return std::string(v); }

std::optional<double> secondsBetween(const std::string& from, const std::string& to) {
    const auto a = sync::Timestamp::parse(from);
    const auto b = sync::Timestamp::parse(to);
    if (!a || !b) return std::nullopt;
    return static_cast<double>(b->micros() - a->micros()) / 1e6;
}

std::string plural(std::int64_t n, const std::string& one, const std::string& many) {
    return n == 1 ? one : many;
}

/// 1234567 -> "1,234,567".
std::string thousands(std::int64_t n) {
    const bool negative = n < 0;
    std::string digits = std::to_string(negative ? -n : n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return negative ? "-" + out : out;
}

/// A size for people: `812 B`, `4.0 KiB`, `23.5 MiB`, `1.2 GiB`.
std::string bytesText(std::int64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    auto value = static_cast<double>(std::max<std::int64_t>(0, bytes));
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < sizeof units / sizeof units[0]) {
        value /= 1024.0;
        ++unit;
    }
    std::ostringstream out;
    if (unit == 0) {
        out << static_cast<std::int64_t>(value) << " B";
    } else {
        out << std::fixed << std::setprecision(1) << value << " " << units[unit];
    }
    return out.str();
}

/// A span of time for people: `40 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`.
std::string durationText(double seconds) {
    const auto total = static_cast<std::int64_t>(std::llround(std::max(0.0, seconds)));
    const std::int64_t days = total / 86400;
    const std::int64_t hours = total % 86400 / 3600;
    const std::int64_t minutes = total % 3600 / 60;
    const std::int64_t secs = total % 60;
    auto two = [](std::int64_t big, const char* big_unit, std::int64_t small,
                  const char* small_unit) {
        std::string out = std::to_string(big) + " " + big_unit;
        if (small > 0) out += " " + std::to_string(small) + " " + small_unit;
        return out;
    };
    if (days > 0) return two(days, "d", hours, "h");
    if (hours > 0) return two(hours, "h", minutes, "min");
    if (minutes > 0) return two(minutes, "min", secs, "s");
    return std::to_string(secs) + " s";
}

/// How long ago, coarsely: `12 s ago`, `3 min ago`, `2 h ago`, `4 d ago`.
std::string agoText(double seconds) {
    if (seconds < -1) return "in " + durationText(-seconds);  // a clock ahead of ours
    if (seconds < 1) return "just now";
    const auto s = static_cast<std::int64_t>(seconds);
    if (s < 60) return std::to_string(s) + " s ago";
    if (s < 3600) return std::to_string(s / 60) + " min ago";
    if (s < 86400) return std::to_string(s / 3600) + " h ago";
    return std::to_string(s / 86400) + " d ago";
}

/// `2024-05-01 10:00:00 UTC`, or the text as it is when it is not a timestamp.
std::string absoluteText(const std::string& iso) {
    const auto at = sync::Timestamp::parse(iso);
    if (!at) return iso;
    const std::string text = at->toString();  // YYYY-MM-DDTHH:MM:SS.ffffffZ
    return text.substr(0, 10) + " " + text.substr(11, 8) + " UTC";
}

/// A <time> element showing `iso` relative to `now`, the absolute UTC time in its tooltip.
std::string timeHtml(const std::string& iso, const std::string& now) {
    const auto at = sync::Timestamp::parse(iso);
    const auto ago = secondsBetween(iso, now);
    if (!at || !ago) return htmlEscape(iso.empty() ? "-" : iso);
    return "<time datetime=\"" + htmlEscape(at->toString()) + "\" title=\"" +
           htmlEscape(absoluteText(iso)) + "\">" + htmlEscape(agoText(*ago)) + "</time>";
}

/// An instance's base URL, shown without its scheme; a link when it is an http(s) URL.
std::string urlHtml(const std::string& url) {
    if (url.empty()) return "";
    std::string shown = url;
    for (const std::string scheme : {"https://", "http://"}) {
        if (shown.rfind(scheme, 0) == 0) shown = shown.substr(scheme.size());
    }
    while (shown.size() > 1 && shown.back() == '/') shown.pop_back();
    const std::string text = "<span class=\"mono\">" + htmlEscape(shown) + "</span>";
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
        return "<span class=\"url\">" + text + "</span>";
    }
    return "<span class=\"url\"><a href=\"" + htmlEscape(url) + "\" title=\"" + htmlEscape(url) +
           "\">" + text + "</a></span>";
}

std::string pill(const std::string& kind, const std::string& text) {
    return "<span class=\"pill " + kind + "\">" + htmlEscape(text) + "</span>";
}

std::string where(const RouteView& r, const TargetView& t) { return r.name + " -> " + t.target; }

bool interrupted(const StatusSnapshot& s, const TargetView& t) {
    if (s.live && !t.runtime.last_outcome.empty()) return t.runtime.last_outcome == "interrupted";
    return t.stored.last_pass && t.stored.last_pass->outcome == "interrupted";
}

/// The overall verdict of the banner.
struct Verdict {
    std::string level;  // healthy, degraded, failing
    std::string headline;
    std::string summary;
    std::vector<std::string> reasons;
};

Verdict verdictOf(const StatusSnapshot& s) {
    Verdict v;
    const Readiness ready = readiness(s);
    v.reasons = ready.reasons;
    bool any_failing = false;
    std::size_t targets = 0;
    for (const auto& r : s.routes) {
        for (const auto& t : r.targets) {
            ++targets;
            any_failing = any_failing || failing(t);
            if (!failing(t) && interrupted(s, t)) {
                v.reasons.push_back(where(r, t) + ": last pass interrupted" +
                                    (t.stored.health.last_error ? ": " + *t.stored.health.last_error
                                                                : std::string()));
            }
            if (t.stored.dead_letters > 0) {
                v.reasons.push_back(where(r, t) + ": " + thousands(t.stored.dead_letters) +
                                    plural(t.stored.dead_letters, " dead letter", " dead letters") +
                                    " (records the target refused; see below)");
            }
            if (t.stored.last_pass && t.stored.last_pass->counts.lists_failed > 0) {
                const auto n = t.stored.last_pass->counts.lists_failed;
                v.reasons.push_back(where(r, t) + ": " + thousands(n) +
                                    plural(n, " custom list was", " custom lists were") +
                                    " not written in the last pass" +
                                    (t.stored.health.last_error
                                         ? " (" + *t.stored.health.last_error + ")"
                                         : std::string()));
            }
        }
    }
    if (any_failing) {
        v.level = "failing";
        v.headline = "Failing";
        v.summary = "A target is failing: records are not reaching it until the cause is fixed.";
    } else if (s.cluster && s.cluster->standby && v.reasons.empty()) {
        v.level = "healthy";
        v.headline = "Standby";
        v.summary =
            "This daemon holds no route: " + std::to_string(s.cluster->live_nodes - 1) +
            (s.cluster->live_nodes == 2 ? " other daemon replays" : " other daemons replay") +
            " them, and it takes over a route whose owner stops renewing its lease.";
    } else if (!v.reasons.empty()) {
        v.level = "degraded";
        v.headline = "Degraded";
        v.summary = "Syncing, with something to look at:";
    } else {
        v.level = "healthy";
        v.headline = "Healthy";
        const auto routes = static_cast<std::int64_t>(s.routes.size());
        const auto all = static_cast<std::int64_t>(targets);
        v.summary = routes == 0 ? "No routes are configured."
                                : thousands(routes) + plural(routes, " route, ", " routes, ") +
                                      thousands(all) + plural(all, " target", " targets") +
                                      ": every target finished a pass, none is failing, no "
                                      "record was refused.";
    }
    return v;
}

void banner(std::ostringstream& out, const Verdict& v) {
    out << "<div class=\"banner " << v.level << "\" role=\"status\"><h2><span class=\"dot\">"
        << "</span>" << htmlEscape(v.headline) << "</h2><p>" << htmlEscape(v.summary) << "</p>";
    if (!v.reasons.empty()) {
        out << "<ul>";
        for (const auto& reason : v.reasons) out << "<li>" << htmlEscape(reason) << "</li>";
        out << "</ul>";
    }
    out << "</div>\n";
}

void meta(std::ostringstream& out, const StatusSnapshot& s, int refresh_seconds) {
    out << "<p class=\"meta\">";
    if (!s.started_at.empty()) {
        out << "Started " << timeHtml(s.started_at, s.now) << " &middot; ";
    }
    out << "status as of " << htmlEscape(absoluteText(s.now)) << " &middot; refreshes every "
        << refresh_seconds << " s";
    if (s.cluster) out << "<br>" << htmlEscape(clusterText(*s.cluster));
    out << "</p>\n";
}

std::string stateCell(const StatusSnapshot& s, const TargetView& t) {
    if (failing(t)) {
        std::string out = pill("bad", "failing");
        if (t.stored.health.failing_since) {
            out += "<div class=\"sub nowrap\">since " +
                   timeHtml(*t.stored.health.failing_since, s.now) + "</div>";
        }
        return out;
    }
    if (interrupted(s, t)) return pill("warn", "interrupted");
    if (!t.stored.last_pass) {
        return s.live && t.runtime.live ? pill("run", "first pass") : pill("idle", "no pass yet");
    }
    if (t.stored.dead_letters > 0) return pill("warn", "dead letters");
    return pill("ok", "in step");
}

std::string lastPassCell(const StatusSnapshot& s, const TargetView& t) {
    if (!t.stored.last_pass) return "<span class=\"sub\">none yet</span>";
    const auto& p = *t.stored.last_pass;
    const auto& c = p.counts;
    std::string out = htmlEscape(p.outcome) + " &middot; " + timeHtml(p.finished_at, s.now);
    std::string detail;
    if (const auto took = secondsBetween(p.started_at, p.finished_at)) {
        detail = "took " + durationText(*took) + " &middot; ";
    }
    std::vector<std::string> parts;
    auto add = [&parts](std::int64_t n, const std::string& what) {
        if (n > 0) parts.push_back(thousands(n) + " " + what);
    };
    add(c.containers_created, plural(c.containers_created, "container", "containers") + " new");
    add(c.containers_updated, plural(c.containers_updated, "container", "containers") + " updated");
    add(c.artifacts_created, plural(c.artifacts_created, "artifact", "artifacts") + " new");
    add(c.artifacts_updated, plural(c.artifacts_updated, "artifact", "artifacts") + " updated");
    const std::int64_t notes = c.notes_created + c.notes_updated + c.comments_created;
    add(notes, plural(notes, "note or comment", "notes and comments") + " written");
    add(c.files_copied,
        plural(c.files_copied, "file", "files") + " (" + bytesText(c.file_bytes) + ") copied");
    add(c.workbooks_copied, plural(c.workbooks_copied, "workbook", "workbooks") + " copied");
    add(c.tasks_written, plural(c.tasks_written, "task", "tasks") + " written");
    add(c.owners_unmatched,
        plural(c.owners_unmatched, "copy", "copies") + " without their owner (no such user)");
    add(c.fields_mirrored,
        plural(c.fields_mirrored, "field", "fields") + " mirrored back to the source");
    add(c.notes_mirrored,
        plural(c.notes_mirrored, "note or comment", "notes and comments") + " mirrored back");
    add(c.conflicts_source_won,
        plural(c.conflicts_source_won, "conflict", "conflicts") + " won by the source");
    add(c.conflicts_target_won,
        plural(c.conflicts_target_won, "conflict", "conflicts") + " won by the target");
    add(c.results_reported, plural(c.results_reported, "playbook result", "playbook results") +
                                " reported to the source");
    add(c.lists_written, plural(c.lists_written, "custom list", "custom lists") + " written");
    add(c.lists_failed, plural(c.lists_failed, "custom list", "custom lists") + " failed");
    add(c.deletions_found,
        plural(c.deletions_found, "container", "containers") + " found deleted on the source");
    add(c.copies_closed, plural(c.copies_closed, "copy", "copies") + " closed");
    add(c.copies_deleted, plural(c.copies_deleted, "copy", "copies") + " deleted");
    add(c.errors, plural(c.errors, "error", "errors"));
    if (parts.empty()) parts.emplace_back("nothing changed");
    for (std::size_t i = 0; i < parts.size(); ++i) detail += (i > 0 ? ", " : "") + parts[i];
    return out + "<div class=\"sub\">" + detail + "</div>";
}

std::string lagCell(const StatusSnapshot& s, const TargetView& t) {
    std::string out = t.lag_seconds ? htmlEscape(durationText(*t.lag_seconds))
                                    : std::string("<span class=\"sub\">-</span>");
    if (t.stored.cursors.empty()) return out;
    out += "<details><summary>cursors</summary><ul>";
    for (const auto& c : t.stored.cursors) {
        out += "<li>" + htmlEscape(str(state::toString(c.stream))) + ": " +
               timeHtml(c.timestamp, s.now) + "</li>";
    }
    return out + "</ul></details>";
}

std::string mappedCell(const RouteView& r, const TargetView& t) {
    const auto& m = t.stored.mappings;
    auto row = [](std::int64_t n, const char* what) {
        return "<tr><td class=\"num\">" + thousands(n) + "</td><td class=\"sub\">" + what +
               "</td></tr>";
    };
    return "<table class=\"mapped\">" + row(m.containers, "containers") +
           row(m.artifacts, "artifacts") + row(m.notes, "notes") +
           (r.files ? row(m.files, "files") : std::string()) +
           (r.workbooks ? row(m.tasks, "tasks") : std::string()) + "</table>";
}

/// The running pass: what it does, a bar, `1,234 / 5,000 (25%), ETA 40 s`.
std::string progressCell(const StatusSnapshot& s, const TargetView& t) {
    if (!s.live || !t.runtime.live) return "<span class=\"sub\">idle</span>";
    const auto& l = *t.runtime.live;
    std::string out = pill("run", l.activity.empty() ? "running" : l.activity) + "<div>";
    if (l.total > 0) {
        const std::int64_t done = std::min(l.seen, l.total);
        const std::int64_t percent = done * 100 / l.total;
        out += "<progress value=\"" + std::to_string(done) + "\" max=\"" + std::to_string(l.total) +
               "\">" + std::to_string(percent) + "%</progress></div>";
        out += "<div class=\"sub nowrap\">" + thousands(l.seen) + " / " + thousands(l.total) +
               " (" + std::to_string(percent) + "%)";
        const auto elapsed = secondsBetween(l.started_at, s.now);
        if (elapsed && *elapsed > 0 && l.seen > 0 && l.seen < l.total) {
            const double eta =
                *elapsed * static_cast<double>(l.total - l.seen) / static_cast<double>(l.seen);
            out += ", ETA " + durationText(eta);
        }
        out += "</div>";
    } else {
        out += "<progress></progress></div><div class=\"sub\">" + thousands(l.seen) +
               " read so far</div>";
    }
    if (!l.started_at.empty()) {
        out += "<div class=\"sub\">started " + timeHtml(l.started_at, s.now) + "</div>";
    }
    return out;
}

std::string deadCell(const TargetView& t, const std::string& anchor) {
    if (t.stored.dead_letters == 0) return "0";
    return "<a href=\"#" + anchor + "\">" + thousands(t.stored.dead_letters) + "</a>";
}

void targetRows(std::ostringstream& out, const StatusSnapshot& s, const RouteView& r,
                const TargetView& t, const std::string& anchor) {
    out << "<tr><td><div class=\"name\">" << htmlEscape(t.target) << "</div><div class=\"sub\">"
        << urlHtml(t.url) << "</div></td><td>" << stateCell(s, t) << "</td><td>"
        << lastPassCell(s, t) << "</td><td>" << lagCell(s, t) << "</td><td>" << mappedCell(r, t)
        << "</td><td>" << progressCell(s, t) << "</td><td class=\"num\">" << deadCell(t, anchor)
        << "</td><td>" << htmlEscape(runsText(t)) << "</td></tr>\n";
    if (t.stored.health.last_error) {
        out << "<tr class=\"error\"><td></td><td colspan=\"7\">Last error";
        if (t.stored.health.last_error_at) {
            out << " (" << timeHtml(*t.stored.health.last_error_at, s.now) << ")";
        }
        out << ": " << htmlEscape(*t.stored.health.last_error) << "</td></tr>\n";
    }
}

void deadLetters(std::ostringstream& out, const StatusSnapshot& s, const RouteView& r,
                 const TargetView& t, const std::string& anchor) {
    if (t.stored.dead_letters == 0 && t.dead_letters.empty()) return;
    out << "<div class=\"dead\" id=\"" << anchor << "\"><h3>Dead letters on "
        << htmlEscape(t.target) << " (" << thousands(t.stored.dead_letters) << ")</h3>\n";
    if (!t.dead_letters.empty()) {
        out << "<table><thead><tr><th class=\"fit\">Kind</th><th class=\"fit num\">Source id</th>"
            << "<th class=\"fit num\">Attempts</th><th class=\"fit\">First seen</th>"
            << "<th class=\"fit\">Last seen</th><th>Message</th></tr></thead><tbody>\n";
        // Newest first: the snapshot holds them oldest first.
        for (auto it = t.dead_letters.rbegin(); it != t.dead_letters.rend(); ++it) {
            const auto& d = *it;
            out << "<tr><td class=\"fit\">" << htmlEscape(str(state::toString(d.kind)))
                << "</td><td class=\"num\">" << d.source_id << "</td><td class=\"num\">"
                << thousands(d.attempts) << "</td><td class=\"fit\">"
                << timeHtml(d.first_seen, s.now) << "</td><td class=\"fit\">"
                << timeHtml(d.last_seen, s.now) << "</td><td class=\"msg\">"
                << htmlEscape(d.message) << "</td></tr>\n";
        }
        out << "</tbody></table>\n";
    }
    const auto listed = static_cast<std::int64_t>(t.dead_letters.size());
    out << "<p class=\"hint\">";
    if (listed > 0 && listed < t.stored.dead_letters) {
        out << "Showing the newest " << thousands(listed) << " of "
            << thousands(t.stored.dead_letters) << ". ";
    }
    out << "List them all with <code>soar-sync dead-letters</code>, fix the cause (a label or "
        << "custom field the target lacks, a file above <code>attachment_max_size</code>), then "
        << "send them again with "
        << "<code>soar-sync retry-dead --route " << htmlEscape(r.name) << "</code>.</p></div>\n";
}

void route(std::ostringstream& out, const StatusSnapshot& s, const RouteView& r,
           std::size_t index) {
    out << "<section class=\"route\"><div class=\"route-head\"><h2>" << htmlEscape(r.name)
        << "</h2><span class=\"direction\">" << htmlEscape(directionText(r))
        << "</span><span class=\"from\">from <b>" << htmlEscape(r.source) << "</b> "
        << urlHtml(r.source_url);
    if (r.files) {
        out << " &middot; files up to "
            << htmlEscape(bytesText(static_cast<std::int64_t>(r.file_max_size)));
    }
    if (r.workbooks) out << " &middot; case workbooks";
    if (r.owners_by_name) out << " &middot; owners by name";
    if (!r.lists.empty()) out << " &middot; " << r.lists.size() << " custom lists";
    out << "</span></div>\n";
    out << "<p class=\"lease" << (r.lease && r.lease->mine ? " mine" : "") << "\">"
        << htmlEscape(leaseText(r)) << "</p>\n";
    if (r.targets.empty()) {
        out << "<p class=\"empty\">No targets.</p></section>\n";
        return;
    }
    out << "<table><thead><tr><th>Target</th><th>State</th><th>Last pass</th><th>Lag</th>"
        << "<th>Mapped</th><th>Current pass</th><th class=\"num\">Dead letters</th>"
        << "<th>Playbook runs</th></tr></thead><tbody>\n";
    for (std::size_t i = 0; i < r.targets.size(); ++i) {
        targetRows(out, s, r, r.targets[i],
                   "dead-" + std::to_string(index) + "-" + std::to_string(i));
    }
    out << "</tbody></table>\n";
    for (const auto& t : r.targets) {
        if (!r.lists.empty()) {
            out << "<p class=\"lists\">" << htmlEscape(listsText(r, t)) << "</p>\n";
        }
        if (r.on_source_delete != "keep" || !t.stored.tombstones.empty()) {
            out << "<p class=\"lists\">" << htmlEscape(deletionsText(r, t)) << "</p>\n";
        }
    }
    for (std::size_t i = 0; i < r.targets.size(); ++i) {
        deadLetters(out, s, r, r.targets[i],
                    "dead-" + std::to_string(index) + "-" + std::to_string(i));
    }
    out << "</section>\n";
}

}  // namespace

std::string renderHtml(const StatusSnapshot& s, int refresh_seconds) {
    const Verdict verdict = verdictOf(s);
    std::ostringstream out;
    out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        << "<meta http-equiv=\"refresh\" content=\"" << refresh_seconds << "\">"
        << "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        << "<title>" << htmlEscape(verdict.headline) << " - soar-sync</title><style>" << kStyle
        << "</style></head><body>\n"
        << "<header><span class=\"brand\">soar-sync</span><span class=\"version\">"
        << htmlEscape(s.version) << "</span><nav><a href=\"/readyz\">/readyz</a>"
        << "<a href=\"/dead-letters\">/dead-letters</a><a href=\"/status\">/status</a>"
        << "<a href=\"/metrics\">/metrics</a></nav></header>\n<main>\n";
    banner(out, verdict);
    meta(out, s, refresh_seconds);
    for (std::size_t i = 0; i < s.routes.size(); ++i) route(out, s, s.routes[i], i);
    out << "</main>\n<footer>soar-sync " << htmlEscape(s.version)
        << " &middot; the same status as JSON: <a href=\"/status\">/status</a>, "
        << "<a href=\"/dead-letters\">/dead-letters</a>, <a href=\"/readyz\">/readyz</a> "
        << "&middot; for Prometheus: <a href=\"/metrics\">/metrics</a></footer>\n</body></html>\n";
    return out.str();
}

}  // namespace soar::app
