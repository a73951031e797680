#ifndef APUS_CPYTHON_SHIM_H
#define APUS_CPYTHON_SHIM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Macros Swift cannot import become static inline functions here. */
static inline PyObject *apus_py_none(void) { return Py_None; }
static inline PyObject *apus_py_true(void) { return Py_True; }
static inline PyObject *apus_py_false(void) { return Py_False; }

#endif
