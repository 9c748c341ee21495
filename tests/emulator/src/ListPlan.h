#pragma once

/// How a list query reads its records: by a walk of the table in id order (the id bounds of
/// its `id` filters narrowing the walk), or by a range of one of the table's OrderIndexes.
/// Pure function; the caller holds the data lock.

#include "OrderIndex.h"
#include "Query.h"
#include "RowTable.h"

#include <cstddef>
#include <vector>

namespace soar::emulator {

struct ListPlan {
    /// Null: walk the table in id order.
    const OrderIndex* index = nullptr;
    OrderIndex::Range range;
    /// The index is the sort column's: its range, read forward or backward, is the order
    /// asked. Otherwise the range's records are read in id order and sorted as a walk's are.
    bool in_order = false;
    /// The filters the range does not stand for (all of them without an index); each record
    /// read must pass them.
    std::vector<Filter> rest;
    /// The range is exactly the records that match (no other filter, bound or predicate):
    /// the count is its size, and only the page asked for is read.
    bool exact = false;
};

/// The cheapest way to read `query`'s records (its `filters` apart from the id bounds, which
/// leave `id_rows` records to walk in id order; `predicate`: the caller checks each record
/// with one more test of its own).
[[nodiscard]] ListPlan planList(const RowTable& rows, const ListQuery& query,
                                std::vector<Filter> filters, std::size_t id_rows, bool id_bounded,
                                bool predicate);

}  // namespace soar::emulator
