#pragma once

#include "warren/net/event_loop.h"

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace warren::test {

/// Runs each step in a turn of its own and returns after the last. A step runs in a
/// periodic callback, so turn tasks it schedules (Queue::wake, hence dispatch) run before
/// that turn ends and the next step sees their effects.
///
/// EventLoop::stop() is final (run() returns at once afterwards, stopping_ is never
/// reset), so `loop` can be driven by this only once; give each test its own loop.
inline void run_turns(net::EventLoop& loop, std::vector<std::function<void()>> steps) {
    auto state = std::make_shared<size_t>(0);
    loop.every(std::chrono::milliseconds(0), [&loop, state, steps = std::move(steps)] {
        if (*state < steps.size())
            steps[(*state)++]();
        else
            loop.stop();
    });
    loop.run();
}

}  // namespace warren::test
