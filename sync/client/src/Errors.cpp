#include "soar/client/Errors.h"

namespace soar::sync {

const char* toString(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Transient:
            return "transient";
        case ErrorKind::RecordLevel:
            return "record";
        case ErrorKind::Auth:
            return "auth";
        case ErrorKind::Protocol:
            return "protocol";
        case ErrorKind::Tls:
            return "tls";
        case ErrorKind::Config:
            return "config";
    }
    return "unknown";
}

}  // namespace soar::sync
