#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <algorithm>
#include <vector>

namespace warren::net {

class EventLoop;

/// Something that wants the readiness events of one file descriptor.
class IoHandler {
public:
    virtual void on_io(uint32_t events) = 0;

protected:
    virtual ~IoHandler() = default;
};

/// Work that runs once at the end of the current loop turn, after all ready sockets were
/// read: queues dispatch what those reads published, then connections flush everything
/// they gathered in one writev. Scheduling twice in a turn runs it once.
class TurnTask {
public:
    TurnTask() = default;
    TurnTask(const TurnTask&) = delete;
    TurnTask& operator=(const TurnTask&) = delete;
    virtual void run_turn_task() = 0;
    bool is_scheduled() const { return loop_ != nullptr; }

protected:
    virtual ~TurnTask();

private:
    friend class EventLoop;
    EventLoop* loop_ = nullptr;
    size_t slot_ = 0;
    EventLoop* timer_loop_ = nullptr;  // set while a timer for this task is armed
};

/// A single-threaded epoll loop. Owns nothing but the epoll and wake fds; everything it
/// calls into belongs to this loop's thread (STYLE.md §8).
class EventLoop {
public:
    using Clock = std::chrono::steady_clock;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    void add(int fd, uint32_t events, IoHandler* handler);
    void modify(int fd, uint32_t events, IoHandler* handler);
    void remove(int fd);

    /// Runs `task` at the end of this turn. Two priorities: 0 runs before 1
    /// (dispatch before flush).
    void schedule(TurnTask& task, int priority);
    void cancel(TurnTask& task);

    /// Schedules `task` (priority 0) once `deadline` has passed; re-arming replaces the
    /// earlier deadline.
    void schedule_at(TurnTask& task, Clock::time_point deadline);
    void cancel_timer(TurnTask& task);

    /// Calls `fn` about every `period` (timer accuracy is a loop turn).
    void every(std::chrono::milliseconds period, std::function<void()> fn);

    void run();
    /// Safe from signal handlers and other threads.
    void stop();

    Clock::time_point now() const { return now_; }

private:
    struct Periodic {
        std::chrono::milliseconds period;
        Clock::time_point next;
        std::function<void()> fn;
    };
    struct Timer {
        Clock::time_point deadline;
        TurnTask* task;
        friend bool operator>(const Timer& a, const Timer& b) { return a.deadline > b.deadline; }
    };
    void run_turn_tasks();
    void fire_timers();
    int next_timeout_ms() const;

    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    volatile bool stopping_ = false;
    std::vector<TurnTask*> tasks_[2];
    std::vector<Periodic> periodic_;
    std::vector<Timer> timers_;  // min-heap on deadline; one entry per armed task
    Clock::time_point now_ = Clock::now();
};

}  // namespace warren::net
