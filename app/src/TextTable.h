#pragma once

/// TextTable: the column-aligned tables the command line prints (`status`, `check`,
/// `dead-letters`). Every column is as wide as its widest cell, so no value overflows into
/// its neighbour; the last column is not padded (a long message just runs on). Control
/// characters in cells (escape sequences, newlines from a record or a peer's message) are
/// shown as `\xNN`, so a cell can neither forge a line nor drive the operator's terminal.

#include "soar/app/RedactingChannel.h"

#include <string>
#include <vector>

namespace soar::app {

class TextTable {
public:
    explicit TextTable(std::vector<std::string> headers);
    /// A row; missing trailing cells print empty.
    void add(std::vector<std::string> cells);
    /// A line below the last row, indented, not aligned (e.g. a long error).
    void note(const std::string& text);
    [[nodiscard]] std::string render() const;
    [[nodiscard]] bool empty() const { return rows_.empty(); }

private:
    struct Row {
        std::vector<std::string> cells;
        std::string note;
    };
    std::vector<std::string> headers_;
    std::vector<Row> rows_;
};

}  // namespace soar::app
