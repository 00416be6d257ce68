/* Item values as numbers: what values.item_rows_pure does, in C (float conversion per value). */
#include "hj212.h"
#include <float.h>

#define MAX_WIDTH 64

/* A plain decimal "[+-]digits[.digits]" (or "[+-].digits") of at most 15 digits, as float()
 * reads it, without Python's strtod (which sets the x87 control word on every call). m < 10**15
 * and 10**k (k <= 15) are exact doubles and IEEE division rounds correctly, so m / 10**k is the
 * correctly rounded value float() gives. Anything else (exponents, blanks, underscores, more
 * digits, non-ASCII digits) returns 0 and goes to PyFloat_FromString. */
static int
plain_decimal(PyObject *text, double *out)
{
#if FLT_EVAL_METHOD == 0
    static const double POW10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    if (!PyUnicode_IS_ASCII(text))
        return 0;
    const char *p = (const char *)PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0;
    int negative = 0, digits = 0, decimals = 0, dot = 0;
    uint64_t m = 0;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        negative = p[i++] == '-';
    for (; i < n; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9') {
            if (++digits > 15)
                return 0;
            m = m * 10 + (uint64_t)(c - '0');
            decimals += dot;
        }
        else if (c == '.' && !dot)
            dot = 1;
        else
            return 0;
    }
    if (digits == 0)
        return 0;
    double value = (double)m / POW10[decimals];
    *out = negative ? -value : value;
    return 1;
#else
    (void)text;
    (void)out;
    return 0; /* x87 arithmetic: leave it to Python */
#endif
}

PyObject *g_item_rows_pure; /* values.item_rows_pure, for arguments of unexpected types */

/* Rows of one packet's items, or NULL: an error is set, or (none set) the arguments are not of
 * the types the fast path reads and the reference must answer. */
static PyObject *
fast_rows(PyObject *const *args, Py_ssize_t *bad)
{
    PyObject *items = args[0], *slots = args[1], *before = args[4], *between = args[5];
    PyObject *after = args[6], *rows, *values[MAX_WIDTH];
    Py_ssize_t flag_slot = PyLong_AsSsize_t(args[2]), width = PyLong_AsSsize_t(args[3]);
    if ((flag_slot == -1 || width == -1) && PyErr_Occurred())
        return NULL;
    if (!PyDict_CheckExact(items) || !PyDict_CheckExact(slots) || width < 0 ||
        width > MAX_WIDTH || !PyTuple_CheckExact(before) || !PyTuple_CheckExact(between) ||
        !PyTuple_CheckExact(after))
        return NULL;
    Py_ssize_t n_before = PyTuple_GET_SIZE(before), n_between = PyTuple_GET_SIZE(between);
    Py_ssize_t n_after = PyTuple_GET_SIZE(after), pos = 0;
    PyObject *code, *suffixes;
    if (!(rows = PyList_New(0)))
        return NULL;
    while (PyDict_Next(items, &pos, &code, &suffixes)) {
        Py_ssize_t inner = 0;
        PyObject *suffix, *text;
        int has_value = 0, failed = 0;
        if (!PyDict_CheckExact(suffixes))
            goto unexpected;
        memset(values, 0, sizeof(PyObject *) * (size_t)width);
        while (!failed && PyDict_Next(suffixes, &inner, &suffix, &text)) {
            if (!PyUnicode_CheckExact(suffix) || !PyUnicode_CheckExact(text)) {
                failed = 1;
                break;
            }
            PyObject *where = PyDict_GetItemWithError(slots, suffix), *value;
            double number;
            if (where == NULL) {
                failed = PyErr_Occurred() != NULL;
                continue;
            }
            Py_ssize_t slot = PyLong_CheckExact(where) ? PyLong_AsSsize_t(where) : -1;
            if (slot < 0 || slot >= width) {
                PyErr_Clear();
                failed = 1; /* a slot the reference would index differently */
                break;
            }
            if (slot == flag_slot) {
                if (!(value = PyUnicode_Substring(text, 0, 4))) {
                    failed = 1;
                    break;
                }
            }
            else if (plain_decimal(text, &number)) {
                if (!(value = PyFloat_FromDouble(number))) {
                    failed = 1;
                    break;
                }
            }
            else if (!(value = PyFloat_FromString(text))) {
                if (!PyErr_ExceptionMatches(PyExc_ValueError)) {
                    failed = 1;
                    break;
                }
                PyErr_Clear();
                (*bad)++;
                continue;
            }
            else {
                number = PyFloat_AS_DOUBLE(value);
                if (number - number != 0.0) { /* inf or nan: not a reading */
                    Py_DECREF(value);
                    (*bad)++;
                    continue;
                }
            }
            Py_XSETREF(values[slot], value);
            has_value = 1;
        }
        PyObject *row = NULL;
        if (!failed && has_value) {
            Py_ssize_t at = 0;
            row = PyTuple_New(n_before + 1 + n_between + width + n_after);
            if (row != NULL) {
                for (Py_ssize_t i = 0; i < n_before; i++)
                    PyTuple_SET_ITEM(row, at++, Py_NewRef(PyTuple_GET_ITEM(before, i)));
                PyTuple_SET_ITEM(row, at++, Py_NewRef(code));
                for (Py_ssize_t i = 0; i < n_between; i++)
                    PyTuple_SET_ITEM(row, at++, Py_NewRef(PyTuple_GET_ITEM(between, i)));
                for (Py_ssize_t i = 0; i < width; i++) {
                    PyTuple_SET_ITEM(row, at++, values[i] ? values[i] : Py_NewRef(Py_None));
                    values[i] = NULL; /* the row owns it now */
                }
                for (Py_ssize_t i = 0; i < n_after; i++)
                    PyTuple_SET_ITEM(row, at++, Py_NewRef(PyTuple_GET_ITEM(after, i)));
            }
            failed = row == NULL || PyList_Append(rows, row) < 0;
            Py_XDECREF(row);
        }
        for (Py_ssize_t i = 0; i < width; i++)
            Py_CLEAR(values[i]);
        if (failed)
            goto unexpected;
    }
    return rows;
unexpected:
    Py_DECREF(rows);
    return NULL;
}

PyObject *
hj_item_rows(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t bad = 0;
    PyObject *rows;
    if (g_item_rows_pure == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ecoradar.hj212._codec is not configured");
        return NULL;
    }
    if (nargs != 7)
        return PyObject_Vectorcall(g_item_rows_pure, args, (size_t)nargs, NULL);
    rows = fast_rows(args, &bad);
    if (rows == NULL) {
        if (PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                return NULL;
            PyErr_Clear();
        }
        return PyObject_Vectorcall(g_item_rows_pure, args, (size_t)nargs, NULL);
    }
    return Py_BuildValue("(Nn)", rows, bad);
}
