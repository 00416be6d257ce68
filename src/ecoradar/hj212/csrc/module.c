/* The compiled HJ 212 decoder: the same results as ecoradar.hj212.codec.decode_pure, faster.
 *
 * decode(frame, options) does in C what the pure-Python decoder does for a frame it accepts:
 * frame checks, CRC (Appendix A, and CRC-16/MODBUS low byte first when allowed), text decoding,
 * header fields, CP items with the 2005 code mapping, DataTime, and the Packet itself. Whenever
 * the frame is refused, or takes a rare path (a str frame, a length counting characters, a
 * Python exception), it hands the frame to decode_pure, which raises the refusal with its
 * reason and detail or returns the packet: refusals are identical by construction, accepted
 * packets are identical by the tests (tests/unit/hj212/test_hj212_compiled.py).
 *
 * Sources: module.c (options, frame, module), crc.c, segment.c (header fields, the Packet),
 * items.c (CP items), hj212.h (shared declarations, text helpers).
 *
 * Parsing works on the decoded text, character by character (PyUnicode_READ), so that lengths,
 * comparisons and whitespace are those of Python's str whatever the encoding. Rare CP shapes
 * (logs between //, blanks around separators) are split into tokens by the Python reference
 * (segment.cp_tokens) and the tokens are processed here.
 *
 * configure() must be called once (ecoradar.hj212.native does) before decode().
 */
#include "hj212.h"

/* --- configuration, set by configure() ------------------------------------------------ */

PyObject *g_decode_pure;   /* the reference decoder, called for every fallback */
PyObject *g_packet_type;   /* ecoradar.hj212.packet.Packet */
PyObject *g_editions[3];   /* Edition.V2005, V2017, V2025 */
PyObject *g_tz;            /* the shared +08:00 tzinfo of parse_time */
PyObject *g_code_map_for;  /* codes.code_map_for(st) */
PyObject *g_cp_tokens;     /* segment.cp_tokens(content, strict, spaced) */
PyObject *g_ascii_compatible; /* native.ascii_compatible(encoding) -> bool */
PyObject *g_lenient;       /* packet.LENIENT, the default options */
PyObject *g_code_maps;     /* dict st -> code map, a small cache */
PyObject *g_ascii_cache;   /* dict encoding -> bool, a small cache */
PyObject *g_no_args;       /* () */

/* the DecodeOptions of the last call (options are frozen: read once per object) */
PyObject *g_last_options;
int g_strict, g_modbus, g_ascii_ok;
long g_limit;
PyObject *g_encoding;

unsigned long long g_fast_count, g_fallback_count; /* for tests and benchmarks */

PyObject *s_strict, *s_encoding, *s_accept_modbus_crc, *s_limit;
PyObject *s_hj212, *s_modbus, *s_datatime;
PyObject *s_fields[N_FIELDS];
static const char *const FIELD_NAMES[N_FIELDS] = {
    "edition", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "data_time", "items", "cp",
    "length", "crc", "crc_kind", "encoding", "original_codes", "extra"};

/* --- the frame ----------------------------------------------------------------------------- */

static int
read_options(PyObject *options)
{
    if (options == g_last_options)
        return 0;
    PyObject *strict = NULL, *modbus = NULL, *encoding = NULL, *limit_obj = NULL, *ok = NULL;
    int rc = -1;
    long limit;
    if (!(strict = PyObject_GetAttr(options, s_strict)) ||
        !(modbus = PyObject_GetAttr(options, s_accept_modbus_crc)) ||
        !(encoding = PyObject_GetAttr(options, s_encoding)) ||
        !(limit_obj = PyObject_GetAttr(options, s_limit)) || /* DecodeOptions.limit */
        !PyUnicode_Check(encoding) || !PyLong_Check(limit_obj))
        goto done;
    int is_strict = PyObject_IsTrue(strict), is_modbus = PyObject_IsTrue(modbus);
    if (is_strict < 0 || is_modbus < 0)
        goto done;
    limit = PyLong_AsLong(limit_obj);
    if (limit == -1 && PyErr_Occurred())
        goto done;
    ok = PyDict_GetItemWithError(g_ascii_cache, encoding);
    if (ok != NULL)
        Py_INCREF(ok);
    else if (PyErr_Occurred() || !(ok = PyObject_CallOneArg(g_ascii_compatible, encoding)))
        goto done;
    else if (PyDict_GET_SIZE(g_ascii_cache) < 16 && PyDict_SetItem(g_ascii_cache, encoding, ok) < 0)
        goto done;
    int is_ok = PyObject_IsTrue(ok);
    if (is_ok < 0)
        goto done;
    g_strict = is_strict;
    g_modbus = is_modbus;
    g_limit = limit;
    g_ascii_ok = is_ok;
    Py_XSETREF(g_encoding, Py_NewRef(encoding));
    Py_XSETREF(g_last_options, Py_NewRef(options));
    rc = 0;
done:
    Py_XDECREF(ok);
    Py_XDECREF(limit_obj);
    Py_XDECREF(encoding);
    Py_XDECREF(modbus);
    Py_XDECREF(strict);
    return rc;
}

static int
is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned
hex_value(const unsigned char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v = v * 16 + (c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10));
    }
    return v;
}

/* The Packet of frame, or NULL (refused, or an error was set). The options are copied first:
 * Python code called later (code maps, CP tokens, codecs) may let another thread decode. */
static PyObject *
fast_decode(PyObject *frame, PyObject *options)
{
    if (read_options(options) < 0)
        return NULL;
    int strict = g_strict, accept_modbus = g_modbus, ascii_ok = g_ascii_ok;
    long limit = g_limit;
    PyObject *encoding = Py_NewRef(g_encoding), *text = NULL, *packet = NULL;
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(frame);
    Py_ssize_t n = PyBytes_GET_SIZE(frame);
    if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n')
        n -= 2;
    if (!strict) {
        while (n > 0 && Py_ISSPACE(p[0])) {
            p++;
            n--;
        }
        while (n > 0 && Py_ISSPACE(p[n - 1]))
            n--;
    }
    if (n < 10 || p[0] != '#' || p[1] != '#')
        goto done;
    for (int i = 2; i < 6; i++)
        if (!Py_ISDIGIT(p[i]))
            goto done;
    for (Py_ssize_t i = n - 4; i < n; i++)
        if (!is_hex(p[i]))
            goto done;
    const unsigned char *segment = p + 6;
    Py_ssize_t size = n - 10;
    long declared = (p[2] - '0') * 1000 + (p[3] - '0') * 100 + (p[4] - '0') * 10 + (p[5] - '0');
    if (size > limit || declared != size)
        goto done; /* oversize, or a wrong length (perhaps counting characters) */
    unsigned received = hex_value(p + n - 4), high;
    int modbus = 0;
    if (hj_crc_hj212(segment, size, &high) != received) {
        unsigned reg = hj_crc_modbus(segment, size);
        if (!accept_modbus || (((reg & 0xFF) << 8) | (reg >> 8)) != received)
            goto done;
        modbus = 1;
    }
    if (!high && ascii_ok) {
        if (!(text = PyUnicode_New(size, 127)))
            goto done;
        memcpy(PyUnicode_DATA(text), segment, (size_t)size);
    }
    else {
        const char *name = PyUnicode_AsUTF8(encoding);
        if (name == NULL || !(text = PyUnicode_Decode((const char *)segment, size, name, NULL)))
            goto done;
        if (!PyUnicode_CheckExact(text))
            goto done;
    }
    Text t;
    text_of(&t, text);
    packet = hj_parse_segment(&t, strict, size, received, modbus, encoding);
done:
    Py_XDECREF(text);
    Py_DECREF(encoding);
    return packet;
}

static PyObject *
decode(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *frame, *options;
    Py_ssize_t given = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
    if (g_decode_pure == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ecoradar.hj212._codec is not configured");
        return NULL;
    }
    if (given == 2 && nargs == 1 && PyUnicode_CompareWithASCIIString(
                                         PyTuple_GET_ITEM(kwnames, 0), "options") == 0)
        kwnames = NULL; /* decode(frame, options=...) */
    else if (kwnames != NULL || given < 1 || given > 2) {
        g_fallback_count++;
        return PyObject_Vectorcall(g_decode_pure, args, (size_t)nargs, kwnames);
    }
    frame = args[0];
    options = given == 2 ? args[1] : g_lenient;
    if (PyBytes_CheckExact(frame)) {
        PyObject *packet = fast_decode(frame, options);
        if (packet != NULL) {
            g_fast_count++;
            return packet;
        }
        if (PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                return NULL; /* KeyboardInterrupt and the like */
            PyErr_Clear();
        }
    }
    g_fallback_count++;
    return PyObject_Vectorcall(g_decode_pure, args, (size_t)given, NULL); /* all positional */
}

/* --- module ----------------------------------------------------------------------------------- */

static PyObject *
configure(PyObject *Py_UNUSED(module), PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"decode_pure", "packet_type", "editions", "tz", "code_map_for",
                            "cp_tokens", "ascii_compatible", "lenient", NULL};
    PyObject *decode_pure, *packet_type, *editions, *tz, *map_for, *tokens, *ascii_ok, *lenient;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "$OOO!OOOOO:configure", names, &decode_pure,
                                     &packet_type, &PyTuple_Type, &editions, &tz, &map_for,
                                     &tokens, &ascii_ok, &lenient))
        return NULL;
    if (!PyType_Check(packet_type) || PyTuple_GET_SIZE(editions) != 3) {
        PyErr_SetString(PyExc_TypeError, "configure: packet_type must be a class, editions 3");
        return NULL;
    }
    Py_XSETREF(g_decode_pure, Py_NewRef(decode_pure));
    Py_XSETREF(g_packet_type, Py_NewRef(packet_type));
    for (int i = 0; i < 3; i++)
        Py_XSETREF(g_editions[i], Py_NewRef(PyTuple_GET_ITEM(editions, i)));
    Py_XSETREF(g_tz, Py_NewRef(tz));
    Py_XSETREF(g_code_map_for, Py_NewRef(map_for));
    Py_XSETREF(g_cp_tokens, Py_NewRef(tokens));
    Py_XSETREF(g_ascii_compatible, Py_NewRef(ascii_ok));
    Py_XSETREF(g_lenient, Py_NewRef(lenient));
    Py_CLEAR(g_last_options);
    PyDict_Clear(g_code_maps);
    PyDict_Clear(g_ascii_cache);
    Py_RETURN_NONE;
}

static PyObject *
py_crc16(PyObject *Py_UNUSED(module), PyObject *arg)
{
    Py_buffer view;
    unsigned high, reg;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    reg = hj_crc_hj212((const unsigned char *)view.buf, view.len, &high);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(reg);
}

static PyObject *
py_crc16_modbus(PyObject *Py_UNUSED(module), PyObject *arg)
{
    Py_buffer view;
    unsigned reg;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    reg = hj_crc_modbus((const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(reg);
}

static PyObject *
configure_rows(PyObject *Py_UNUSED(module), PyObject *pure)
{
    Py_XSETREF(g_item_rows_pure, Py_NewRef(pure));
    Py_RETURN_NONE;
}

static PyObject *
stats(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(arg))
{
    return Py_BuildValue("(KK)", g_fast_count, g_fallback_count);
}

static PyMethodDef methods[] = {
    {"decode", (PyCFunction)(void (*)(void))decode, METH_FASTCALL | METH_KEYWORDS,
     "decode(frame, options=LENIENT) -> Packet\n\nThe compiled decoder: what decode_pure "
     "returns or raises for the same frame."},
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "Give the decoder the Python objects it builds packets with (native.py calls it)."},
    {"item_rows", (PyCFunction)(void (*)(void))hj_item_rows, METH_FASTCALL,
     "item_rows(items, slots, flag_slot, width, before, between, after) -> (rows, bad)\n\n"
     "What values.item_rows_pure returns for the same arguments."},
    {"configure_rows", configure_rows, METH_O,
     "Give item_rows the reference it hands unexpected arguments to (native.py calls it)."},
    {"stats", stats, METH_NOARGS,
     "stats() -> (decoded in C, handed to decode_pure): frames since the module was loaded."},
    {"crc16", py_crc16, METH_O, "crc16(data) -> int: the HJ 212 CRC of Appendix A."},
    {"crc16_modbus", py_crc16_modbus, METH_O, "crc16_modbus(data) -> int: CRC-16/MODBUS."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_codec",
    .m_doc = "The compiled HJ 212 decoder (see native.py).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__codec(void)
{
    if (hj_import_datetime() < 0)
        return NULL;
    hj_make_tables();
    if (!(g_code_maps = PyDict_New()) || !(g_ascii_cache = PyDict_New()) ||
        !(g_no_args = PyTuple_New(0)))
        return NULL;
#define INTERN(var, text)                                                                       \
    if (!(var = PyUnicode_InternFromString(text)))                                              \
        return NULL;
    INTERN(s_strict, "strict")
    INTERN(s_encoding, "encoding")
    INTERN(s_accept_modbus_crc, "accept_modbus_crc")
    INTERN(s_limit, "limit")
    INTERN(s_hj212, "hj212")
    INTERN(s_modbus, "modbus")
    INTERN(s_datatime, "DataTime")
    for (int i = 0; i < N_FIELDS; i++)
        INTERN(s_fields[i], FIELD_NAMES[i])
#undef INTERN
    return PyModule_Create(&module);
}
