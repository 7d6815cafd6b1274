// expect: libkasocki/gateway/errors[.]hpp(: No such file|' file not found)
// Arrows point down: a transport may not include the gateway above it.
#include "libkasocki/gateway/errors.hpp"
