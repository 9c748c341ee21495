#include "ListPlan.h"

#include <algorithm>
#include <utility>

namespace soar::emulator {
namespace {

/// A record read through an index costs a binary search of the table besides its filters:
/// about this many records of a walk in id order.
constexpr std::size_t kIndexedCost = 4;

/// One indexed column the query could be read by, and the filters its range stands for.
struct Candidate {
    const OrderIndex* index = nullptr;
    OrderIndex::Range range;
    std::vector<bool> answered;
};

}  // namespace

ListPlan planList(const RowTable& rows, const ListQuery& query, std::vector<Filter> filters,
                  std::size_t id_rows, bool id_bounded, bool predicate) {
    const bool sorted_by_field = query.sort_path.size() == 1 && query.sort_path[0] != "id";
    const int sort_column = sorted_by_field ? rows.columnOf(query.sort_path[0]) : -1;
    const OrderIndex* sort_index = sort_column >= 0 ? rows.indexOf(sort_column) : nullptr;

    std::vector<Candidate> candidates;
    const auto candidateOf = [&](const OrderIndex* index) -> Candidate& {
        for (auto& c : candidates) {
            if (c.index == index) {
                return c;
            }
        }
        return candidates.emplace_back(
            Candidate{index, index->all(), std::vector<bool>(filters.size(), false)});
    };
    if (sort_index != nullptr) {
        (void)candidateOf(sort_index);
    }
    for (std::size_t i = 0; i < filters.size(); ++i) {
        const Filter& f = filters[i];
        const OrderIndex* index = f.column >= 0 ? rows.indexOf(f.column) : nullptr;
        if (index == nullptr) {
            continue;
        }
        const auto range = index->rangeOf(f);
        if (!range) {
            continue;
        }
        Candidate& c = candidateOf(index);
        c.range.first = std::max(c.range.first, range->first);
        c.range.last = std::min(c.range.last, range->last);
        c.answered[i] = true;
    }

    // The walk in id order costs a look at each record within the id bounds.
    std::size_t best_cost = id_rows;
    const Candidate* best = nullptr;
    bool best_exact = false;
    for (const auto& c : candidates) {
        const bool in_order = c.index == sort_index;
        const bool all_answered =
            std::all_of(c.answered.begin(), c.answered.end(), [](bool a) { return a; });
        const bool exact = in_order && all_answered && !id_bounded && !predicate;
        const std::size_t cost = exact ? 0 : c.range.size() * kIndexedCost;
        if (cost < best_cost || (exact && !best_exact)) {
            best = &c;
            best_cost = cost;
            best_exact = exact;
        }
    }
    ListPlan plan;
    if (best == nullptr) {
        plan.rest = std::move(filters);
        return plan;
    }
    plan.index = best->index;
    plan.range = best->range;
    plan.in_order = best->index == sort_index;
    plan.exact = best_exact;
    for (std::size_t i = 0; i < filters.size(); ++i) {
        if (!best->answered[i]) {
            plan.rest.push_back(std::move(filters[i]));
        }
    }
    return plan;
}

}  // namespace soar::emulator
