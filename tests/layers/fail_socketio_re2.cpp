// expect: libkasocki/socketio may not use re2/re2[.]h
// RE2 is the filter layer's.
#include <re2/re2.h>
