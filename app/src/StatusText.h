#pragma once

/// Short texts about one (route, target) that several status renderings share (the `status`
/// table, the `/` page): plain functions of a TargetView, safe from any thread.

#include "soar/app/StatusSource.h"

#include <string>

namespace soar::app {

/// Whether the target is marked failing (credentials, TLS, or errors that outlived retries).
[[nodiscard]] bool failing(const TargetView& t);
/// The lag in whole seconds, `12s`, or `-` before a pass finished its walk.
[[nodiscard]] std::string lagText(const TargetView& t);
/// Playbook runs by state, `running=1 success=4`, or `-` when there are none.
[[nodiscard]] std::string runsText(const TargetView& t);

}  // namespace soar::app
