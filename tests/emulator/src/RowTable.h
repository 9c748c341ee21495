#pragma once

/// The records of one collection, ordered by id, in one contiguous sorted vector. Ids are
/// handed out in increasing order, so inserting is an append and finding is a binary
/// search. A walk over a range of ids reads contiguous memory and touches a record only
/// when a filter needs it: with 100,000 records a std::map walk cost tens of milliseconds
/// of cache misses per list request. Each record also keeps its top-level fields in a
/// column vector (in a fixed order per table), so a filter reads a field by position
/// instead of walking the record's key map. Records are replaced, never changed in place,
/// which keeps the columns true. Chosen columns (the change times a keyset walk goes by)
/// also keep an OrderIndex, updated with the columns. Not thread-safe: the owner holds the
/// data lock.

#include "OrderIndex.h"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace soar::emulator {

class RowTable {
public:
    using Ptr = Poco::JSON::Object::Ptr;
    struct Entry {
        std::int64_t first;
        Ptr second;
        std::vector<Poco::Dynamic::Var> columns;
    };
    using iterator = std::vector<Entry>::iterator;
    using const_iterator = std::vector<Entry>::const_iterator;

    /// Declares the top-level fields kept as columns (before any record is stored).
    void setColumns(const std::set<std::string>& fields) {
        names_.assign(fields.begin(), fields.end());
        index_.clear();
        for (std::size_t i = 0; i < names_.size(); ++i) {
            index_.emplace(names_[i], static_cast<int>(i));
        }
    }
    /// Keeps an OrderIndex of each of these fields' columns (after setColumns(), before any
    /// record is stored).
    void setIndexed(const std::vector<std::string>& fields) {
        indexes_.clear();
        for (const auto& field : fields) {
            const int column = columnOf(field);
            if (column < 0) {
                throw std::logic_error("RowTable: no column " + field + " to index");
            }
            indexes_.emplace_back(column, OrderIndex());
        }
    }
    /// The index of a column, or null.
    [[nodiscard]] const OrderIndex* indexOf(int column) const {
        for (const auto& [indexed, index] : indexes_) {
            if (indexed == column) {
                return &index;
            }
        }
        return nullptr;
    }

    /// The column of a top-level field, or -1.
    [[nodiscard]] int columnOf(const std::string& field) const {
        const auto it = index_.find(field);
        return it == index_.end() ? -1 : it->second;
    }

    iterator begin() { return rows_.begin(); }
    iterator end() { return rows_.end(); }
    [[nodiscard]] const_iterator begin() const { return rows_.begin(); }
    [[nodiscard]] const_iterator end() const { return rows_.end(); }
    [[nodiscard]] std::size_t size() const { return rows_.size(); }

    [[nodiscard]] const_iterator lower_bound(std::int64_t id) const {
        return std::lower_bound(rows_.begin(), rows_.end(), id,
                                [](const Entry& e, std::int64_t v) { return e.first < v; });
    }
    [[nodiscard]] const_iterator find(std::int64_t id) const {
        const auto it = lower_bound(id);
        return it != rows_.end() && it->first == id ? it : rows_.end();
    }
    iterator find(std::int64_t id) {
        const auto offset = std::distance(rows_.cbegin(), std::as_const(*this).find(id));
        return rows_.begin() + offset;
    }

    /// Appends a record; its id must be greater than every id stored.
    void emplace(std::int64_t id, Ptr row) {
        if (!rows_.empty() && id <= rows_.back().first) {
            throw std::logic_error("RowTable: ids must increase");
        }
        auto columns = columnsOf(*row);
        for (auto& [column, index] : indexes_) {
            index.insert(sortKey(columns[static_cast<std::size_t>(column)]), id);
        }
        rows_.push_back(Entry{id, std::move(row), std::move(columns)});
    }
    /// Replaces the stored record of an existing id.
    void replace(std::int64_t id, Ptr row) {
        const auto it = find(id);
        if (it == rows_.end()) {
            throw std::logic_error("RowTable: no record " + std::to_string(id));
        }
        auto columns = columnsOf(*row);
        for (auto& [column, index] : indexes_) {
            const auto at = static_cast<std::size_t>(column);
            SortKey now = sortKey(columns[at]);
            SortKey was = sortKey(it->columns[at]);
            if (compareKeys(now, was) != 0) {
                index.erase(was, id);
                index.insert(std::move(now), id);
            }
        }
        it->columns = std::move(columns);
        it->second = std::move(row);
    }
    std::size_t erase(std::int64_t id) {
        const auto it = find(id);
        if (it == rows_.end()) {
            return 0;
        }
        (void)erase(it);
        return 1;
    }
    iterator erase(iterator it) {
        for (auto& [column, index] : indexes_) {
            index.erase(sortKey(it->columns[static_cast<std::size_t>(column)]), it->first);
        }
        return rows_.erase(it);
    }

private:
    std::vector<Poco::Dynamic::Var> columnsOf(const Poco::JSON::Object& row) const {
        std::vector<Poco::Dynamic::Var> columns;
        columns.reserve(names_.size());
        for (const auto& name : names_) {
            columns.push_back(row.get(name));
        }
        return columns;
    }

    std::vector<Entry> rows_;
    std::vector<std::string> names_;
    std::unordered_map<std::string, int> index_;
    std::vector<std::pair<int, OrderIndex>> indexes_;
};

}  // namespace soar::emulator
