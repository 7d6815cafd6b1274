// expect: libkasocki/gateway/gateway[.]hpp(: No such file|' file not found)
// http/ routes requests to the Engine.IO server; the gateway is wired to it in cli/.
#include "libkasocki/gateway/gateway.hpp"
