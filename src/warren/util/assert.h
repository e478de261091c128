#pragma once

#include <cstdio>
#include <cstdlib>

/// Broken invariants are our bugs: log where and why, then abort (STYLE.md §5).
#define WARREN_ASSERT(cond, why)                                                         \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", __FILE__, __LINE__, \
                         #cond, why);                                                    \
            std::abort();                                                                \
        }                                                                                \
    } while (0)
