#ifndef APUS_CPYTHON_SHIM_H
#define APUS_CPYTHON_SHIM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <sys/eventfd.h>

#include <sys/epoll.h>
#include <errno.h>

/* The asyncio thread's wake-up descriptor (it lives here because Python/ imports only this module). */
static inline int apus_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

/* epoll_wait for the asyncio loop's selector (see AsyncioGILClock), its events as two arrays of
   `max` (struct epoll_event is packed on x86_64). Returns the count, 0 on EINTR, or -errno. */
static inline int apus_epoll_wait(int epfd, int *fds, unsigned *events, int max, int timeout_ms) {
    struct epoll_event ready[64];
    if (max > 64) max = 64;
    int count = epoll_wait(epfd, ready, max, timeout_ms);
    if (count < 0) return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < count; i++) {
        fds[i] = ready[i].data.fd;
        events[i] = ready[i].events;
    }
    return count;
}

/* Macros Swift cannot import, as static inline functions. */
static inline PyObject *apus_none(void) { return Py_None; }
static inline PyObject *apus_true(void) { return Py_True; }
static inline PyObject *apus_false(void) { return Py_False; }
static inline void apus_incref(PyObject *o) { Py_INCREF(o); }
static inline void apus_decref(PyObject *o) { Py_DECREF(o); }
static inline void apus_xdecref(PyObject *o) { Py_XDECREF(o); }
static inline Py_ssize_t apus_refcount(PyObject *o) { return Py_REFCNT(o); }

static inline PyObject *apus_type_of(PyObject *o) { return (PyObject *)Py_TYPE(o); }
static inline int apus_is_long(PyObject *o) { return PyLong_CheckExact(o); }
static inline int apus_is_float(PyObject *o) { return PyFloat_CheckExact(o); }
static inline int apus_is_str(PyObject *o) { return PyUnicode_Check(o); }
static inline int apus_is_bytes(PyObject *o) { return PyBytes_Check(o); }
static inline int apus_is_dict(PyObject *o) { return PyDict_Check(o); }
static inline int apus_is_list(PyObject *o) { return PyList_Check(o); }
static inline int apus_is_tuple(PyObject *o) { return PyTuple_Check(o); }
static inline int apus_is_bool(PyObject *o) { return PyBool_Check(o); }
static inline int apus_is_coroutine(PyObject *o) { return PyCoro_CheckExact(o); }
static inline PyObject *apus_exception_class(PyObject *o) { return PyExceptionInstance_Class(o); }
static inline PyObject *apus_runtime_error_type(void) { return PyExc_RuntimeError; }
static inline PyObject *apus_new_ref(PyObject *o) { Py_INCREF(o); return o; }
static inline int apus_is_none(PyObject *o) { return o == Py_None; }
static inline PyObject *apus_tuple_item(PyObject *t, Py_ssize_t i) { return PyTuple_GET_ITEM(t, i); }
static inline void apus_tuple_set(PyObject *t, Py_ssize_t i, PyObject *v) { PyTuple_SET_ITEM(t, i, v); }
static inline PyObject *apus_list_item(PyObject *l, Py_ssize_t i) { return PyList_GET_ITEM(l, i); }
static inline Py_ssize_t apus_tuple_size(PyObject *t) { return PyTuple_GET_SIZE(t); }
static inline Py_ssize_t apus_list_size(PyObject *l) { return PyList_GET_SIZE(l); }
static inline const char *apus_bytes_data(PyObject *b) { return PyBytes_AS_STRING(b); }
static inline Py_ssize_t apus_bytes_size(PyObject *b) { return PyBytes_GET_SIZE(b); }
static inline PyTypeObject *apus_type(PyObject *o) { return Py_TYPE(o); }

/* PyModuleDef_HEAD_INIT is an initializer macro; this fills a definition the same way. */
static inline void apus_module_def_init(PyModuleDef *def, const char *name, const char *doc, PyMethodDef *methods) {
    PyModuleDef init = { PyModuleDef_HEAD_INIT, name, doc, -1, methods, NULL, NULL, NULL, NULL };
    *def = init;
}

#endif
