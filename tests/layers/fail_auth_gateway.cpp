// expect: libkasocki/gateway/errors[.]hpp(: No such file|' file not found)
// auth/ knows tokens and keys, not what a client may do with them.
#include "libkasocki/gateway/errors.hpp"
