#include <stddef.h>

/* sum_range adds a[lo..hi), a fixture of the mutation engine tests. */
long sum_range(const int *a, size_t lo, size_t hi) {
    long total = 0;
    for (size_t i = lo; i < hi; i++) {
        if (a[i] != 0) {
            total = total + a[i];
        }
    }
    return total;
}
