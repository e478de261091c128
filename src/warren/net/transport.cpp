#include "warren/net/transport.h"

#include "warren/net/out_queue.h"

#include <unistd.h>

namespace warren::net {
namespace {

class PlainTransport final : public Transport {
public:
    ssize_t read(int fd, uint8_t* dst, size_t len) override { return ::read(fd, dst, len); }
    bool flush(int fd, OutQueue& out) override { return out.flush(fd); }
};

}  // namespace

Transport& plain_transport() {
    static PlainTransport plain;
    return plain;
}

}  // namespace warren::net
