#pragma once

/// What parseJson()'s reader hands a RecordShape's members to (JsonTree.cpp): TextBuilder for
/// an object kept as its text, Skipper for a member left out, and MemberSet, the names kept.
/// Private to soar_client.

#include "soar/client/JsonText.h"

#include <Poco/Types.h>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace soar::sync {

/// Writes what it is handed as compact JSON text, as jsonText() writes the tree TreeBuilder
/// builds of the same calls: each object's members sorted by key, the last of two equal keys
/// kept, strings and numbers as Poco writes the values TreeBuilder makes of them. Its frames
/// keep their buffers from one value to the next.
class TextBuilder {
public:
    void startObject() { open(true); }
    void startArray() { open(false); }
    void endArray() {
        Frame& done = frames_[--depth_];
        done.text.push_back(']');
        slot().append(done.text);
    }
    void endObject() {
        Frame& done = frames_[--depth_];
        const auto begin = done.members.begin();
        auto end = begin + static_cast<std::ptrdiff_t>(done.used);
        const auto before = [](const Member& a, const Member& b) { return a.key < b.key; };
        if (std::adjacent_find(begin, end, [&](const Member& a, const Member& b) {
                return !before(a, b);
            }) != end) {
            std::stable_sort(begin, end, before);
            // Equal keys are now together in the order read: the last of each run stays.
            auto kept = begin;
            for (auto it = begin; it != end; ++it) {
                if (std::next(it) != end && std::next(it)->key == it->key) continue;
                if (kept != it) std::swap(*kept, *it);
                ++kept;
            }
            end = kept;
        }
        done.text.assign(1, '{');
        for (auto it = begin; it != end; ++it) {
            if (it != begin) done.text.push_back(',');
            appendJsonString(done.text, it->key);
            done.text.push_back(':');
            done.text.append(it->text);
        }
        done.text.push_back('}');
        slot().append(done.text);
    }
    void key(const std::string& k) { frames_[depth_ - 1].key = k; }

    void null() { slot().append("null"); }
    void value(Poco::Int64 v) { appendJsonInteger(slot(), v); }
    void value(Poco::UInt64 v) { appendJsonInteger(slot(), v); }
    void value(double d) { appendJson(slot(), d); }
    void value(bool b) { slot().append(b ? "true" : "false"); }
    void value(const std::string& v) { appendJsonString(slot(), v); }
    /// A value's text exactly as it is to be written (a string without escapes, as read).
    void written(std::string_view text) { slot().append(text); }

    /// The text of the value read last.
    [[nodiscard]] std::string take() { return std::move(result_); }

private:
    struct Member {
        std::string key;
        std::string text;
    };
    /// An open object (its members so far; `used` of `members` hold this one's) or array
    /// (its text so far).
    struct Frame {
        bool object = false;
        std::vector<Member> members;
        std::size_t used = 0;
        std::string key;
        std::string text;
    };

    void open(bool object) {
        if (depth_ == frames_.size()) frames_.emplace_back();
        Frame& frame = frames_[depth_++];
        frame.object = object;
        frame.used = 0;
        frame.text.assign(object ? "" : "[");
    }

    /// Where the next value's text goes: a new member of the innermost open object, the end
    /// of the innermost open array, or the result.
    std::string& slot() {
        if (depth_ == 0) {
            result_.clear();
            return result_;
        }
        Frame& frame = frames_[depth_ - 1];
        if (!frame.object) {
            if (frame.text.size() > 1) frame.text.push_back(',');
            return frame.text;
        }
        if (frame.used == frame.members.size()) frame.members.emplace_back();
        Member& member = frame.members[frame.used++];
        member.key.swap(frame.key);
        member.text.clear();
        return member.text;
    }

    std::vector<Frame> frames_;
    std::size_t depth_ = 0;
    std::string result_;
};

/// The members a RecordShape keeps (none named: every one), looked up by size first: a key is
/// compared only with the members of its length, most often one or none.
class MemberSet {
public:
    MemberSet() = default;
    explicit MemberSet(const std::vector<std::string>& members)
        : names_(members.begin(), members.end()) {
        std::sort(names_.begin(), names_.end(), [](std::string_view a, std::string_view b) {
            return a.size() != b.size() ? a.size() < b.size() : a < b;
        });
    }

    [[nodiscard]] bool has(std::string_view key) const {
        if (names_.empty()) return true;
        auto it = std::lower_bound(
            names_.begin(), names_.end(), key.size(),
            [](std::string_view name, std::size_t size) { return name.size() < size; });
        for (; it != names_.end() && it->size() == key.size(); ++it) {
            if (*it == key) return true;
        }
        return false;
    }

private:
    std::vector<std::string_view> names_;
};

/// Takes what a reader hands it and builds nothing: for members a RecordShape leaves out.
struct Skipper {
    void startObject() {}
    void endObject() {}
    void startArray() {}
    void endArray() {}
    void key(const std::string&) {}
    void null() {}
    template <class T>
    void value(const T&) {}
};

}  // namespace soar::sync
