#include "warren/net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace warren::net {

TurnTask::~TurnTask() {
    if (loop_) loop_->cancel(*this);
    if (timer_loop_) timer_loop_->cancel_timer(*this);
}

void EventLoop::schedule_at(TurnTask& task, Clock::time_point deadline) {
    if (task.timer_loop_) {
        auto it = std::find_if(timers_.begin(), timers_.end(),
                               [&](const Timer& t) { return t.task == &task; });
        if (it != timers_.end() && it->deadline <= deadline) return;  // an earlier one is armed
        cancel_timer(task);
    }
    task.timer_loop_ = this;
    timers_.push_back(Timer{deadline, &task});
    std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
}

void EventLoop::cancel_timer(TurnTask& task) {
    if (!task.timer_loop_) return;
    task.timer_loop_ = nullptr;
    auto it = std::remove_if(timers_.begin(), timers_.end(),
                             [&](const Timer& t) { return t.task == &task; });
    timers_.erase(it, timers_.end());
    std::make_heap(timers_.begin(), timers_.end(), std::greater<>());
}

void EventLoop::fire_timers() {
    while (!timers_.empty() && timers_.front().deadline <= now_) {
        std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
        TurnTask* task = timers_.back().task;
        timers_.pop_back();
        task->timer_loop_ = nullptr;
        schedule(*task, 0);
    }
}

EventLoop::EventLoop() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0)
        throw std::runtime_error(std::string("event loop: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the wake fd
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

EventLoop::~EventLoop() {
    close(wake_fd_);
    close(epoll_fd_);
}

void EventLoop::add(int fd, uint32_t events, IoHandler* handler) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = handler;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
}

void EventLoop::modify(int fd, uint32_t events, IoHandler* handler) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = handler;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::remove(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::schedule(TurnTask& task, int priority) {
    if (task.loop_) return;
    auto& list = tasks_[priority];
    task.loop_ = this;
    task.slot_ = (static_cast<size_t>(priority) << 56) | list.size();
    list.push_back(&task);
}

void EventLoop::cancel(TurnTask& task) {
    if (!task.loop_) return;
    size_t priority = task.slot_ >> 56;
    size_t index = task.slot_ & ((size_t{1} << 56) - 1);
    tasks_[priority][index] = nullptr;
    task.loop_ = nullptr;
}

void EventLoop::every(std::chrono::milliseconds period, std::function<void()> fn) {
    periodic_.push_back({period, Clock::now() + period, std::move(fn)});
}

void EventLoop::stop() {
    stopping_ = true;
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void EventLoop::run_turn_tasks() {
    // Tasks may schedule more tasks (dispatch schedules flushes), so drain until quiet.
    for (int round = 0; round < 64; ++round) {
        bool ran = false;
        for (auto& list : tasks_) {
            for (size_t i = 0; i < list.size(); ++i) {
                TurnTask* t = list[i];
                if (!t) continue;
                list[i] = nullptr;
                t->loop_ = nullptr;
                t->run_turn_task();
                ran = true;
            }
            list.clear();
        }
        if (!ran) return;
    }
}

int EventLoop::next_timeout_ms() const {
    if (!tasks_[0].empty() || !tasks_[1].empty()) return 0;
    if (periodic_.empty() && timers_.empty()) return -1;
    auto next = Clock::time_point::max();
    for (const auto& p : periodic_) next = std::min(next, p.next);
    if (!timers_.empty()) next = std::min(next, timers_.front().deadline);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(ms + 1, 0, 1000));
}

void EventLoop::run() {
    constexpr int kMaxEvents = 256;
    epoll_event events[kMaxEvents];
    while (!stopping_) {
        int n = epoll_wait(epoll_fd_, events, kMaxEvents, next_timeout_ms());
        now_ = Clock::now();
        if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait failed");
        for (int i = 0; i < n; ++i) {
            auto* h = static_cast<IoHandler*>(events[i].data.ptr);
            if (!h) {
                uint64_t v;
                [[maybe_unused]] ssize_t r = read(wake_fd_, &v, sizeof v);
                continue;
            }
            h->on_io(events[i].events);
        }
        fire_timers();
        run_turn_tasks();
        for (auto& p : periodic_) {
            if (now_ >= p.next) {
                p.next = now_ + p.period;
                p.fn();
            }
        }
        run_turn_tasks();
    }
}

}  // namespace warren::net
