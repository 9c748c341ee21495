// parseJson() of JsonTree.h: Poco's parser driving a Poco::JSON::Handler that builds the tree
// in place.

#include "soar/client/JsonTree.h"

#include "JsonChars.h"
#include "JsonShape.h"
#include "soar/client/JsonText.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Handler.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

namespace soar::sync {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

/// Builds the tree as ParseHandler (without preserved key order) does: the same node types,
/// the last of two equal keys wins. A value goes into its parent as an empty slot that is then
/// swapped with it, so it is never copied; the open containers are held as plain pointers into
/// the tree, which owns them.
class TreeBuilder final : public Poco::JSON::Handler {
public:
    void reset() override {
        open_.clear();
        key_.clear();
        result_.empty();
    }

    void startObject() override { start<Object>(); }
    void endObject() override { end(); }
    void startArray() override { start<Array>(); }
    void endArray() override { end(); }

    void key(const std::string& k) override { key_ = k; }

    void null() override {
        Var node;
        place(node);
    }
    void value(int v) override { put(v); }
    void value(unsigned v) override { put(v); }
    void value(Poco::Int64 v) override { put(v); }
    void value(Poco::UInt64 v) override { put(v); }
    void value(const std::string& v) override { put(v); }
    void value(double d) override { put(d); }
    void value(bool b) override { put(b); }
    /// An object member's value, written already (RecordShape::objects_as_text).
    void fragment(std::string text) {
        Var node = JsonFragment{};
        // Moved into the holder rather than copied: only Var's const accessors are public.
        const_cast<JsonFragment&>(node.extract<JsonFragment>()).text.swap(text);
        place(node);
    }

    [[nodiscard]] Var asVar() const override { return result_; }

private:
    static constexpr std::size_t kScanned = 64;

    struct Open {
        Object* object;
        Array* array;
    };

    /// Places a new empty object or array and opens it for what follows.
    template <class Node>
    void start() {
        typename Node::Ptr node = new Node;
        Node* raw = node.get();
        Var slot(node);
        place(slot);
        if constexpr (std::is_same_v<Node, Object>) {
            open_.push_back({raw, nullptr});
        } else {
            open_.push_back({nullptr, raw});
        }
    }
    void end() {
        if (!open_.empty()) open_.pop_back();
    }

    template <class T>
    void put(const T& v) {
        Var node(v);
        place(node);
    }

    /// Moves `node` (left empty) into the innermost open container, or makes it the result.
    void place(Var& node) {
        if (open_.empty()) {
            // Poco's handler takes a container as the result and refuses a lone value.
            if (node.type() != typeid(Object::Ptr) && node.type() != typeid(Array::Ptr)) {
                throw Poco::JSON::JSONException("Attempt to set value on an empty stack");
            }
            result_.swap(node);
            return;
        }
        const Open& parent = open_.back();
        if (parent.array != nullptr) {
            parent.array->add(Var());
            // The slot is the array's own element: only its const accessors are public.
            const_cast<Var&>(*(parent.array->end() - 1)).swap(node);
        } else {
            // Object has no find() that hands out its slot. Keys that come in order (as
            // Poco writes them) land last; otherwise, up to kScanned members, the slot is
            // found by a scan, which costs less than the copy; beyond, the value is copied.
            Object& object = *parent.object;
            object.set(key_, Var());
            Var* slot = nullptr;
            if (auto last = std::prev(object.end()); last->first == key_) {
                slot = &last->second;
            } else if (object.size() <= kScanned) {
                for (auto it = object.begin(); it != object.end() && slot == nullptr; ++it) {
                    if (it->first == key_) slot = &it->second;
                }
            }
            slot != nullptr ? slot->swap(node) : void(object.set(key_, node));
            key_.clear();
        }
    }

    std::vector<Open> open_;
    std::string key_;
    Var result_;
};

/// Reads plain JSON straight into a TreeBuilder (or a TextBuilder, or a Skipper), without
/// Poco's tokenizer (which reads a byte at a time through a callback and copies every string
/// once more). It takes only text it is sure Poco's parser takes and reads alike: RFC 8259
/// JSON of valid UTF-8, an object or array at the top, at most kDepth deep, no `\u0000`,
/// integers that fit 64 bits and finite doubles. For anything else run() returns false and
/// the text goes to Poco's parser, which then builds the tree or refuses the text with its
/// own message. A RecordShape's members are read by readers of their own at the same place
/// and depth, so that they take and refuse exactly what this one does.
template <class Out>
class FastReader {
public:
    FastReader(const std::string& text, Out& out, const RecordShape* shape = nullptr)
        : FastReader(text.data(), text.data() + text.size(), out, shape) {}
    FastReader(const char* begin, const char* end, Out& out, const RecordShape* shape = nullptr)
        : p_(begin),
          end_(end),
          out_(out),
          shape_(shape),
          kept_(shape != nullptr ? MemberSet(shape->members) : MemberSet()) {}

    [[nodiscard]] bool run() {
        space();
        if (p_ == end_ || (*p_ != '{' && *p_ != '[')) return false;
        if (!value(0)) return false;
        space();
        return p_ == end_;
    }

    /// One value at `depth`, from where the reader stands; position() is then past it.
    [[nodiscard]] bool read(int depth) { return value(depth); }
    [[nodiscard]] const char* position() const { return p_; }

private:
    static constexpr int kDepth = 64;

    void space() {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    bool value(int depth) {
        if (p_ == end_) return false;
        switch (*p_) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"': {
                const char* start = p_;
                bool escaped = false;
                if (!string(text_, &escaped)) return false;
                if constexpr (std::is_same_v<Out, TextBuilder>) {
                    // Without escapes its text is already the one written for it.
                    if (!escaped) {
                        out_.written(std::string_view(start, static_cast<std::size_t>(p_ - start)));
                        return true;
                    }
                }
                out_.value(text_);
                return true;
            }
            case 't':
                return word("true") && (out_.value(true), true);
            case 'f':
                return word("false") && (out_.value(false), true);
            case 'n':
                return word("null") && (out_.null(), true);
            default:
                return number();
        }
    }

    bool word(std::string_view w) {
        if (static_cast<std::size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w) {
            return false;
        }
        p_ += w.size();
        return true;
    }

    bool object(int depth) {
        if (depth > kDepth) return false;
        ++p_;
        out_.startObject();
        const auto member = [this, depth] {
            if (p_ == end_ || *p_ != '"' || !string(text_)) return false;
            space();
            if (p_ == end_ || *p_ != ':') return false;
            ++p_;
            space();
            if constexpr (std::is_same_v<Out, TreeBuilder>) {
                if (shape_ != nullptr && depth == 1 && text_ == "data") {
                    // The records: the objects of the array under the top object's "data".
                    out_.key(text_);
                    in_records_ = true;
                    const bool read = value(depth);
                    in_records_ = false;
                    return read;
                }
                if (in_records_ && depth == 3) {
                    if (!kept_.has(text_)) {
                        Skipper none;
                        return readWith(none, depth);
                    }
                    if (shape_->objects_as_text && p_ != end_ && *p_ == '{') {
                        out_.key(text_);
                        if (!readWith(text_out_, depth)) return false;
                        out_.fragment(text_out_.take());
                        return true;
                    }
                }
            }
            out_.key(text_);
            return value(depth);
        };
        if (!items('}', member)) return false;
        out_.endObject();
        return true;
    }

    bool array(int depth) {
        if (depth > kDepth) return false;
        ++p_;
        out_.startArray();
        if (!items(']', [this, depth] { return value(depth); })) return false;
        out_.endArray();
        return true;
    }

    /// One value at `depth` into `out` instead, by a reader of its own that then hands back
    /// its position.
    template <class Other>
    bool readWith(Other& out, int depth) {
        FastReader<Other> sub(p_, end_, out);
        if (!sub.read(depth)) return false;
        p_ = sub.position();
        return true;
    }

    /// The comma-separated items after an opening bracket, through the `close` one; `item`
    /// reads one.
    template <class Item>
    bool items(char close, const Item& item) {
        space();
        if (p_ != end_ && *p_ == close) {
            ++p_;
            return true;
        }
        for (;;) {
            if (!item()) return false;
            space();
            if (p_ == end_) return false;
            if (*p_ == ',') {
                ++p_;
                space();
                continue;
            }
            if (*p_ != close) return false;
            ++p_;
            return true;
        }
    }

    /// A string at `"` into `out`, escapes decoded (`escaped`, when given, tells whether there
    /// were any); false for what it does not take.
    bool string(std::string& out, bool* escaped = nullptr) {
        out.clear();
        ++p_;
        for (;;) {
            const char* run = p_;
            p_ = skipPlain(p_, end_, true);
            while (p_ != end_) {
                const auto byte = static_cast<unsigned char>(*p_);
                if (byte == '"' || byte == '\\' || byte < 0x20 || byte >= 0x80) break;
                ++p_;
            }
            out.append(run, static_cast<std::size_t>(p_ - run));
            if (p_ == end_) return false;
            const auto byte = static_cast<unsigned char>(*p_);
            if (byte == '"') {
                ++p_;
                return true;
            }
            if (byte < 0x20) return false;
            if (byte >= 0x80) {
                if (!utf8(out)) return false;
                continue;
            }
            if (escaped != nullptr) *escaped = true;
            if (!escape(out)) return false;
        }
    }

    /// One well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates).
    bool utf8(std::string& out) {
        const auto n = utf8Length(rest(), 0);
        if (n == 0) return false;
        out.append(p_, n);
        p_ += n;
        return true;
    }

    bool escape(std::string& out) {
        if (end_ - p_ < 2) return false;
        const char c = p_[1];
        p_ += 2;
        switch (c) {
            case '"':
            case '\\':
            case '/':
                out.push_back(c);
                return true;
            case 'b':
                out.push_back('\b');
                return true;
            case 'f':
                out.push_back('\f');
                return true;
            case 'n':
                out.push_back('\n');
                return true;
            case 'r':
                out.push_back('\r');
                return true;
            case 't':
                out.push_back('\t');
                return true;
            case 'u':
                break;
            default:
                return false;
        }
        auto code = hex4(rest(), 0);
        if (!code || *code == 0) return false;
        p_ += 4;
        if (*code >= 0xDC00 && *code <= 0xDFFF) return false;
        if (*code >= 0xD800 && *code <= 0xDBFF) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
            const auto second = hex4(rest(), 2);
            if (!second || *second < 0xDC00 || *second > 0xDFFF) return false;
            p_ += 6;
            code = 0x10000 + ((*code - 0xD800) << 10U) + (*second - 0xDC00);
        }
        appendUtf8(out, *code);
        return true;
    }

    [[nodiscard]] std::string_view rest() const {
        return {p_, static_cast<std::size_t>(end_ - p_)};
    }

    /// A number as RFC 8259 writes one: Int64, else UInt64 (non-negative), else double, as
    /// Poco's parser reads it.
    bool number() {
        const char* start = p_;
        if (p_ != end_ && *p_ == '-') ++p_;
        if (p_ == end_ || !digit(*p_)) return false;
        if (*p_ == '0') {
            ++p_;
        } else {
            while (p_ != end_ && digit(*p_)) ++p_;
        }
        bool whole = true;
        if (p_ != end_ && *p_ == '.') {
            whole = false;
            ++p_;
            if (p_ == end_ || !digit(*p_)) return false;
            while (p_ != end_ && digit(*p_)) ++p_;
        }
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            whole = false;
            ++p_;
            if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (p_ == end_ || !digit(*p_)) return false;
            while (p_ != end_ && digit(*p_)) ++p_;
        }
        if (whole) {
            Poco::UInt64 magnitude = 0;
            const char* digits = *start == '-' ? start + 1 : start;
            if (std::from_chars(digits, p_, magnitude).ec != std::errc()) return false;
            if (*start == '-') {
                // Poco 1.11's strToInt takes a negative 64-bit number through a double (so
                // below -2^53 it is rounded), down to -2^63.
                if (magnitude > (Poco::UInt64{1} << 63U)) return false;
                out_.value(
                    static_cast<Poco::Int64>(std::copysign(static_cast<double>(magnitude), -1.0)));
            } else if (magnitude <=
                       static_cast<Poco::UInt64>(std::numeric_limits<Poco::Int64>::max())) {
                out_.value(static_cast<Poco::Int64>(magnitude));
            } else {
                out_.value(magnitude);
            }
            return true;
        }
        // strtod and Poco's double-conversion both round correctly; beyond a plain length or
        // range Poco decides.
        if (p_ - start > 32) return false;
        const std::string text(start, p_);
        errno = 0;
        const double d = std::strtod(text.c_str(), nullptr);
        if (errno != 0 || !std::isfinite(d)) return false;
        out_.value(d);
        return true;
    }

    static bool digit(char c) { return c >= '0' && c <= '9'; }

    const char* p_;
    const char* const end_;
    Out& out_;
    const RecordShape* const shape_;
    const MemberSet kept_;
    /// Within the value of the top object's "data" member.
    bool in_records_ = false;
    std::string text_;
    /// Writes the members RecordShape::objects_as_text asks for.
    TextBuilder text_out_;
};

}  // namespace

Var parseJson(const std::string& text) { return parseJson(text, nullptr); }

Var parseJson(const std::string& text, const RecordShape* shape) {
    {
        TreeBuilder tree;
        if (FastReader<TreeBuilder>(text, tree, shape).run()) return tree.asVar();
    }
    Poco::JSON::Parser parser(new TreeBuilder);
    return parser.parse(text);
}

}  // namespace soar::sync
