/* cmocka needs these before its header. */
#ifndef KEYFIN_CMOCKA_PRELUDE_H
#define KEYFIN_CMOCKA_PRELUDE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
