#include "TextTable.h"

#include <algorithm>
#include <sstream>

namespace soar::app {

TextTable::TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void TextTable::add(std::vector<std::string> cells) {
    for (auto& c : cells) c = printable(c);
    cells.resize(std::max(cells.size(), headers_.size()));
    rows_.push_back({std::move(cells), {}});
}

void TextTable::note(const std::string& text) {
    if (rows_.empty()) {
        rows_.push_back({std::vector<std::string>(headers_.size()), {}});
    }
    auto& n = rows_.back().note;
    n += (n.empty() ? "" : "\n") + std::string("    ") + printable(text);
}

std::string TextTable::render() const {
    std::vector<std::size_t> widths(headers_.size());
    for (std::size_t i = 0; i < headers_.size(); ++i) widths[i] = headers_[i].size();
    for (const auto& row : rows_) {
        for (std::size_t i = 0; i < widths.size() && i < row.cells.size(); ++i) {
            widths[i] = std::max(widths[i], row.cells[i].size());
        }
    }
    std::ostringstream out;
    const auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (std::size_t i = 0; i < widths.size(); ++i) {
            const std::string& cell = i < cells.size() ? cells[i] : std::string();
            text += cell;
            if (i + 1 < widths.size()) text += std::string(widths[i] - cell.size() + 2, ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out << text << "\n";
    };
    line(headers_);
    for (const auto& row : rows_) {
        line(row.cells);
        if (!row.note.empty()) out << row.note << "\n";
    }
    return out.str();
}

}  // namespace soar::app
