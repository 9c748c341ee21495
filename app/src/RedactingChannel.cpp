#include "soar/app/RedactingChannel.h"

#include <Poco/Message.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace soar::app {

namespace {

constexpr const char* kMask = "***";

bool iequalAt(const std::string& text, std::size_t at, const std::string& word) {
    if (at + word.size() > text.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[at + i])) != word[i]) return false;
    }
    return true;
}

bool valueEnd(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '&' || c == ',' || c == ';' ||
           c == '"' || c == '\'' || c == '}' || c == ')';
}

/// Masks the value after each occurrence of `key` followed by one of `separators` (and
/// optional spaces). With `keep_scheme`, a first word (Bearer, Basic) is kept.
void maskAfter(std::string& text, const std::string& key, const std::string& separators,
               bool keep_scheme) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t at = std::string::npos;
        for (std::size_t i = pos; i + key.size() <= text.size(); ++i) {
            if (iequalAt(text, i, key)) {
                at = i;
                break;
            }
        }
        if (at == std::string::npos) return;
        std::size_t v = at + key.size();
        // A quoted JSON key ("token": "x") ends in a quote before the separator.
        if (v < text.size() && text[v] == '"') ++v;
        while (v < text.size() && text[v] == ' ') ++v;
        if (v >= text.size() || separators.find(text[v]) == std::string::npos) {
            pos = at + key.size();
            continue;
        }
        ++v;
        while (v < text.size() && (text[v] == ' ' || text[v] == '"')) ++v;
        if (keep_scheme) {
            std::size_t w = v;
            while (w < text.size() && std::isalpha(static_cast<unsigned char>(text[w])) != 0) ++w;
            const std::string scheme = text.substr(v, w - v);
            std::string lower(scheme);
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if ((lower == "bearer" || lower == "basic") && w < text.size() && text[w] == ' ') {
                v = w + 1;
            }
        }
        std::size_t end = v;
        while (end < text.size() && !valueEnd(text[end])) ++end;
        if (end > v && text.compare(v, end - v, kMask) != 0) {
            text.replace(v, end - v, kMask);
            end = v + 3;
        }
        pos = std::max(end, at + key.size());
    }
}

}  // namespace

std::string printable(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        char hex[8];
        if ((b < 0x20 && b != '\t') || b == 0x7f) {
            std::snprintf(hex, sizeof hex, "\\x%02x", b);
            out += hex;
        } else if (b == 0xc2 && i + 1 < text.size() &&
                   static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned char>(text[i + 1]));
            out += hex;
            ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string redact(const std::string& input, const std::vector<std::string>& secrets) {
    std::string text = input;
    for (const auto& secret : secrets) {
        if (secret.size() < 4) continue;
        std::size_t at = 0;
        while ((at = text.find(secret, at)) != std::string::npos) {
            text.replace(at, secret.size(), kMask);
            at += 3;
        }
    }
    maskAfter(text, "ph-auth-token", ":=", false);
    maskAfter(text, "authorization", ":=", true);
    maskAfter(text, "password", ":=", false);
    maskAfter(text, "token", "=", false);
    return text;
}

RedactingChannel::RedactingChannel(Poco::AutoPtr<Poco::Channel> next) : next_(std::move(next)) {}

void RedactingChannel::addSecret(const std::string& secret) {
    if (secret.size() < 4) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (std::find(secrets_.begin(), secrets_.end(), secret) == secrets_.end()) {
        secrets_.push_back(secret);
        // Longest first, so a secret containing another is masked whole.
        std::sort(secrets_.begin(), secrets_.end(),
                  [](const auto& a, const auto& b) { return a.size() > b.size(); });
    }
}

std::string RedactingChannel::apply(const std::string& text) const {
    std::vector<std::string> secrets;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        secrets = secrets_;
    }
    return redact(text, secrets);
}

std::string RedactingChannel::clean(const std::string& text) const {
    return printable(apply(text));
}

std::vector<std::string> RedactingChannel::secrets() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return secrets_;
}

void RedactingChannel::log(const Poco::Message& msg) {
    Poco::Message copy(msg);
    copy.setText(clean(msg.getText()));
    next_->log(copy);
}

void RedactingChannel::open() { next_->open(); }

void RedactingChannel::close() { next_->close(); }

}  // namespace soar::app
