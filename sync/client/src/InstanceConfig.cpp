#include "soar/client/InstanceConfig.h"

#include <algorithm>
#include <cctype>

namespace soar::sync {

const char* toString(AuthScheme scheme) {
    switch (scheme) {
        case AuthScheme::PhAuthToken:
            return "ph-auth-token";
        case AuthScheme::Bearer:
            return "bearer";
        case AuthScheme::Basic:
            return "basic";
    }
    return "unknown";
}

std::optional<AuthScheme> parseAuthScheme(const std::string& text) {
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "ph-auth-token") return AuthScheme::PhAuthToken;
    if (lower == "bearer") return AuthScheme::Bearer;
    if (lower == "basic") return AuthScheme::Basic;
    return std::nullopt;
}

}  // namespace soar::sync
