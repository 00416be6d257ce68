/* The data segment: header fields (HJ 212-2017 table 3), CP, DataTime, the Packet. */
#include "hj212.h"
#include <datetime.h>

int
hj_import_datetime(void)
{
    PyDateTime_IMPORT;
    return PyDateTimeAPI == NULL ? -1 : 0;
}

/* times */

static int
days_in(long year, long month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        return 29;
    return days[month - 1];
}

/* YYYYMMDDhhmmss[zzz] as an aware datetime with the shared +08:00 tzinfo; NULL without an
 * error set when the text is not a real time (the reference then says why). */
static PyObject *
parse_time(PyObject *s)
{
    Text t;
    text_of(&t, s);
    if ((t.len != 14 && t.len != 17) || !all_digits(&t, 0, t.len))
        return NULL;
    long year = number(&t, 0, 4), month = number(&t, 4, 6), day = number(&t, 6, 8);
    long hour = number(&t, 8, 10), minute = number(&t, 10, 12), second = number(&t, 12, 14);
    long micro = t.len == 17 ? number(&t, 14, 17) * 1000 : 0;
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in(year, month) ||
        hour > 23 || minute > 59 || second > 59)
        return NULL;
    return PyDateTimeAPI->DateTime_FromDateAndTime(
        (int)year, (int)month, (int)day, (int)hour, (int)minute, (int)second, (int)micro, g_tz,
        PyDateTimeAPI->DateTimeType);
}

/* the header fields and the packet */

enum { QN, ST, CN, PW, MN, FLAG, PNUM, PNO, N_KEYS };
static const char *const HEADER_KEYS[N_KEYS] = {"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM",
                                                 "PNO"};

/* (?:^|;)[ \t]*CP[ \t]*= at i (i just after ^ or ;): the end of the match, or -1 */
static Py_ssize_t
cp_at(const Text *t, Py_ssize_t i)
{
    while (i < t->len && (CH(t, i) == ' ' || CH(t, i) == '\t'))
        i++;
    if (!at_lit(t, i, "CP"))
        return -1;
    i += 2;
    while (i < t->len && (CH(t, i) == ' ' || CH(t, i) == '\t'))
        i++;
    return (i < t->len && CH(t, i) == '=') ? i + 1 : -1;
}

static PyObject *
code_map_for(PyObject *st)
{
    PyObject *map = PyDict_GetItemWithError(g_code_maps, st);
    if (map != NULL)
        return Py_NewRef(map);
    if (PyErr_Occurred())
        return NULL;
    map = PyObject_CallOneArg(g_code_map_for, st);
    if (map == NULL)
        return NULL;
    if (!PyDict_CheckExact(map)) {
        Py_DECREF(map);
        return NULL;
    }
    if (PyDict_GET_SIZE(g_code_maps) < 64 && PyDict_SetItem(g_code_maps, st, map) < 0) {
        Py_DECREF(map);
        return NULL;
    }
    return map;
}

/* The Packet of the decoded data segment, or NULL (refused: the reference says why). */
PyObject *
hj_parse_segment(const Text *t, int strict, Py_ssize_t length, unsigned crc, int modbus,
              PyObject *encoding)
{
    Py_ssize_t len = t->len, h_end = -1, c_start = -1;
    int spaced = 0;
    if (!strict)
        spaced = find_ch(t, 0, len, ' ') >= 0 || find_ch(t, 0, len, '\t') >= 0;

    if (at_lit(t, 0, "CP=")) {
        h_end = 0;
        c_start = 3;
    }
    else {
        Py_ssize_t at = find_lit(t, 0, len, ";CP=");
        if (at >= 0) {
            h_end = at;
            c_start = at + 4;
        }
        else if (!strict) {
            for (Py_ssize_t i = 0; i <= len && h_end < 0; i++) {
                Py_ssize_t end = -1;
                if (i == 0)
                    end = cp_at(t, 0);
                if (end < 0 && i < len && CH(t, i) == ';')
                    end = cp_at(t, i + 1);
                if (end >= 0) {
                    h_end = i;
                    c_start = end;
                }
            }
        }
        if (h_end < 0)
            return NULL; /* CP is missing */
    }

    /* header fields */
    Py_ssize_t va[N_KEYS], vb[N_KEYS];
    int have[N_KEYS] = {0};
    PyObject *extra = NULL, *result = NULL;
    PyObject *qn = NULL, *st = NULL, *cn = NULL, *pw = NULL, *mn = NULL;
    PyObject *flag_obj = NULL, *pnum_obj = NULL, *pno_obj = NULL, *code_map = NULL;
    PyObject *data_time = NULL, *packet = NULL, *dict = NULL, *length_obj = NULL;
    PyObject *crc_obj = NULL;
    Cp s = {strict, NULL, NULL, NULL, NULL, NULL, NULL};

    if (h_end > 0) {
        for (Py_ssize_t a = 0;;) {
            Py_ssize_t b = find_ch(t, a, h_end, ';');
            if (b < 0)
                b = h_end;
            Py_ssize_t e = find_ch(t, a, b, '=');
            Py_ssize_t ka = a, kb = e >= 0 ? e : b, xa = e + 1, xb = b;
            if (spaced) {
                strip(t, &ka, &kb);
                if (e >= 0)
                    strip(t, &xa, &xb);
            }
            if (e < 0) {
                if (strict || ka != kb)
                    goto refused; /* a header field without '=' */
            }
            else {
                int k = 0;
                while (k < N_KEYS && !range_is(t, ka, kb, HEADER_KEYS[k]))
                    k++;
                if (k < N_KEYS) {
                    if (have[k]) {
                        if (strict)
                            goto refused;
                    }
                    else {
                        have[k] = 1;
                        va[k] = xa;
                        vb[k] = xb;
                    }
                }
                else {
                    PyObject *key = sub(t, ka, kb), *value;
                    int rc;
                    if (key == NULL)
                        goto refused;
                    if (extra == NULL && !(extra = PyDict_New())) {
                        Py_DECREF(key);
                        goto refused;
                    }
                    rc = PyDict_Contains(extra, key);
                    if (rc != 0 && (strict || rc < 0)) {
                        Py_DECREF(key);
                        goto refused;
                    }
                    if (rc == 0) {
                        if (!(value = sub(t, xa, xb))) {
                            Py_DECREF(key);
                            goto refused;
                        }
                        rc = PyDict_SetItem(extra, key, value);
                        Py_DECREF(value);
                    }
                    Py_DECREF(key);
                    if (rc < 0)
                        goto refused;
                }
            }
            if (b == h_end)
                break;
            a = b + 1;
        }
    }
    if (!have[ST] || !have[CN] || !have[PW] || !have[MN] || (strict && (!have[QN] || !have[FLAG])))
        goto refused;

    long flag = -1;
    if (have[FLAG]) {
        Py_ssize_t n = vb[FLAG] - va[FLAG];
        if (n > 3 || !all_digits(t, va[FLAG], vb[FLAG]))
            goto refused;
        flag = number(t, va[FLAG], vb[FLAG]);
        if (flag > 255 || (flag >> 2) > 2)
            goto refused; /* not a byte, or no known edition */
    }
    PyObject *edition = g_editions[flag < 0 ? 0 : flag >> 2];

    /* _check_header */
    Py_ssize_t n_st = vb[ST] - va[ST];
    if (n_st == 0 || (strict && n_st != 2))
        goto refused;
    for (Py_ssize_t i = va[ST]; i < vb[ST]; i++) {
        Py_UCS4 c = CH(t, i);
        int upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z';
        if (!((c >= '0' && c <= '9') || upper || (lower && !strict)))
            goto refused;
    }
    if (!all_digits(t, va[CN], vb[CN]) || (strict && vb[CN] - va[CN] != 4))
        goto refused;
    if (vb[MN] == va[MN])
        goto refused;
    if (strict) {
        if (vb[QN] - va[QN] != 17 || !all_digits(t, va[QN], vb[QN]))
            goto refused;
        if (vb[PW] - va[PW] > 6)
            goto refused;
        if (flag >= 4) { /* not the 2005 edition: MN is 24 upper-case hex characters */
            if (vb[MN] - va[MN] != 24)
                goto refused;
            for (Py_ssize_t i = va[MN]; i < vb[MN]; i++) {
                Py_UCS4 c = CH(t, i);
                if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
                    goto refused;
            }
        }
    }
    if (have[QN] && !(qn = sub(t, va[QN], vb[QN])))
        goto refused;
    if (strict) {
        PyObject *when = parse_time(qn);
        if (when == NULL)
            goto refused;
        Py_DECREF(when);
    }

    /* PNUM and PNO */
    if (have[PNUM] || have[PNO] || (flag >= 0 && (flag & FLAG_D))) {
        if (!have[PNUM] || !have[PNO])
            goto refused;
        if (strict && flag >= 0 && !(flag & FLAG_D))
            goto refused;
        if (vb[PNUM] - va[PNUM] > 4 || vb[PNO] - va[PNO] > 4 ||
            !all_digits(t, va[PNUM], vb[PNUM]) || !all_digits(t, va[PNO], vb[PNO]))
            goto refused;
        long pnum = number(t, va[PNUM], vb[PNUM]), pno = number(t, va[PNO], vb[PNO]);
        if (pno < 1 || pno > pnum)
            goto refused;
        if (!(pnum_obj = PyLong_FromLong(pnum)) || !(pno_obj = PyLong_FromLong(pno)))
            goto refused;
    }
    if (extra != NULL && strict)
        goto refused;

    if (!(st = sub(t, va[ST], vb[ST])) || !(cn = sub(t, va[CN], vb[CN])) ||
        !(pw = sub(t, va[PW], vb[PW])) || !(mn = sub(t, va[MN], vb[MN])))
        goto refused;
    if (flag >= 0 && !(flag_obj = PyLong_FromLong(flag)))
        goto refused;

    /* CP=&&...&& */
    Py_ssize_t ca = c_start, cb = len;
    if (spaced)
        strip(t, &ca, &cb);
    if (cb - ca < 4 || !at_lit(t, ca, "&&") || !at_lit(t, cb - 2, "&&"))
        goto refused;
    if (!(code_map = code_map_for(st)) || !(s.items = PyDict_New()) || !(s.cp = PyDict_New()))
        goto refused;
    s.code_map = code_map;
    if (hj_parse_cp(&s, t, ca + 2, cb - 2, spaced) < 0)
        goto refused;
    PyObject *dt_text = PyDict_GetItemWithError(s.cp, s_datatime);
    if (dt_text != NULL) {
        if (!PyUnicode_CheckExact(dt_text) || !(data_time = parse_time(dt_text)))
            goto refused;
    }
    else if (PyErr_Occurred())
        goto refused;

    /* the Packet, as packet.new_packet makes it */
    if (!(length_obj = PyLong_FromSsize_t(length)) || !(crc_obj = PyLong_FromUnsignedLong(crc)))
        goto refused;
    PyObject *values[N_FIELDS] = {
        edition,   qn ? qn : Py_None,           st,     cn,     pw,
        mn,        flag_obj ? flag_obj : Py_None, pnum_obj ? pnum_obj : Py_None,
        pno_obj ? pno_obj : Py_None,            data_time ? data_time : Py_None,
        s.items,   s.cp,  length_obj, crc_obj,  modbus ? s_modbus : s_hj212,
        encoding,  s.original ? s.original : Py_None, extra ? extra : Py_None};
    /* object.__new__(Packet), then its __dict__ filled in field order */
    PyTypeObject *type = (PyTypeObject *)g_packet_type;
    packet = type->tp_new(type, g_no_args, NULL);
    if (packet == NULL || !(dict = PyObject_GenericGetDict(packet, NULL)))
        goto refused;
    for (int i = 0; i < N_FIELDS; i++)
        if (PyDict_SetItem(dict, s_fields[i], values[i]) < 0)
            goto refused;
    result = packet;
    packet = NULL;

refused:
    Py_XDECREF(packet);
    Py_XDECREF(dict);
    Py_XDECREF(crc_obj);
    Py_XDECREF(length_obj);
    Py_XDECREF(data_time);
    Py_XDECREF(s.last);
    Py_XDECREF(s.original);
    Py_XDECREF(s.cp);
    Py_XDECREF(s.items);
    Py_XDECREF(code_map);
    Py_XDECREF(pno_obj);
    Py_XDECREF(pnum_obj);
    Py_XDECREF(flag_obj);
    Py_XDECREF(mn);
    Py_XDECREF(pw);
    Py_XDECREF(cn);
    Py_XDECREF(st);
    Py_XDECREF(qn);
    Py_XDECREF(extra);
    return result;
}
