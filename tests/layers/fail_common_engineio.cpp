// expect: libkasocki/engineio/packet[.]hpp(: No such file|' file not found)
// common/ is below every layer.
#include "libkasocki/engineio/packet.hpp"
