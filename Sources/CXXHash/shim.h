#ifndef DUPELINK_CXXHASH_SHIM_H
#define DUPELINK_CXXHASH_SHIM_H
#include <xxhash.h>
#include <xxh_x86dispatch.h>
#endif
