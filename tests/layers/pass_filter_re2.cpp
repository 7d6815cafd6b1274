// The control of the fail_ probes: the filter layer uses RE2.
#include <re2/re2.h>

int probe_filter_re2() {
  return RE2("a+").ok() ? 0 : 1;
}
