#include "StatusText.h"

#include <iomanip>
#include <sstream>

namespace soar::app {

bool failing(const TargetView& t) { return t.stored.health.failing_since.has_value(); }

std::string lagText(const TargetView& t) {
    if (!t.lag_seconds) return "-";
    std::ostringstream out;
    out << std::fixed << std::setprecision(0) << *t.lag_seconds << "s";
    return out.str();
}

std::string runsText(const TargetView& t) {
    std::string out;
    for (const auto& [status, n] : t.stored.playbook_runs) {
        if (!out.empty()) out += " ";
        out += std::string(state::toString(status)) + "=" + std::to_string(n);
    }
    return out.empty() ? "-" : out;
}

}  // namespace soar::app
