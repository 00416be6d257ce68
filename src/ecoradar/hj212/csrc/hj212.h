/* Shared by the C sources of the compiled HJ 212 decoder (see module.c). */
#ifndef ECORADAR_HJ212_H
#define ECORADAR_HJ212_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define FLAG_D 2
#define N_FIELDS 18

/* configuration and interned names (module.c) */
extern PyObject *g_decode_pure;
extern PyObject *g_packet_type;
extern PyObject *g_editions[3];
extern PyObject *g_tz;
extern PyObject *g_code_map_for;
extern PyObject *g_cp_tokens;
extern PyObject *g_ascii_compatible;
extern PyObject *g_lenient;
extern PyObject *g_code_maps;
extern PyObject *g_ascii_cache;
extern PyObject *g_no_args;
extern PyObject *g_last_options;
extern int g_strict, g_modbus, g_ascii_ok;
extern long g_limit;
extern PyObject *g_encoding;
extern unsigned long long g_fast_count, g_fallback_count;
extern PyObject *s_strict, *s_encoding, *s_accept_modbus_crc, *s_limit;
extern PyObject *s_hj212, *s_modbus, *s_datatime;
extern PyObject *s_fields[N_FIELDS];

/* crc.c */
void hj_make_tables(void);
unsigned hj_crc_hj212(const unsigned char *p, Py_ssize_t n, unsigned *high);
unsigned hj_crc_modbus(const unsigned char *p, Py_ssize_t n);

/* text: a str read character by character, whatever its kind */
typedef struct {
    PyObject *obj; /* borrowed str */
    int ascii;
    int kind;
    const void *data;
    Py_ssize_t len;
} Text;

static inline void
text_of(Text *t, PyObject *s)
{
    t->obj = s;
    t->ascii = (int)PyUnicode_IS_ASCII(s);
    t->kind = (int)PyUnicode_KIND(s);
    t->data = PyUnicode_DATA(s);
    t->len = PyUnicode_GET_LENGTH(s);
}

#define CH(t, i) PyUnicode_READ((t)->kind, (t)->data, (i))

static inline Py_ssize_t
find_ch(const Text *t, Py_ssize_t a, Py_ssize_t b, Py_UCS4 c)
{
    if (t->kind == PyUnicode_1BYTE_KIND) {
        const char *base = (const char *)t->data;
        const char *hit = a < b ? memchr(base + a, (int)c, (size_t)(b - a)) : NULL;
        return hit ? hit - base : -1;
    }
    for (Py_ssize_t i = a; i < b; i++)
        if (CH(t, i) == c)
            return i;
    return -1;
}

/* first separator ';' or ',' in [a, b), or b */
static inline Py_ssize_t
find_sep(const Text *t, Py_ssize_t a, Py_ssize_t b)
{
    if (t->kind == PyUnicode_1BYTE_KIND) {
        const unsigned char *d = (const unsigned char *)t->data;
        for (Py_ssize_t i = a; i < b; i++)
            if (d[i] == ';' || d[i] == ',')
                return i;
        return b;
    }
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = CH(t, i);
        if (c == ';' || c == ',')
            return i;
    }
    return b;
}

static inline int
at_lit(const Text *t, Py_ssize_t i, const char *lit)
{
    for (; *lit; lit++, i++)
        if (i >= t->len || CH(t, i) != (Py_UCS4)(unsigned char)*lit)
            return 0;
    return 1;
}

static inline int
range_is(const Text *t, Py_ssize_t a, Py_ssize_t b, const char *lit)
{
    return (Py_ssize_t)strlen(lit) == b - a && at_lit(t, a, lit);
}

static inline Py_ssize_t
find_lit(const Text *t, Py_ssize_t a, Py_ssize_t b, const char *lit)
{
    Py_ssize_t m = (Py_ssize_t)strlen(lit);
    for (Py_ssize_t i = a; i + m <= b; i++) {
        i = find_ch(t, i, b - m + 1, (Py_UCS4)(unsigned char)lit[0]);
        if (i < 0)
            return -1;
        if (at_lit(t, i, lit))
            return i;
    }
    return -1;
}

static inline void
strip(const Text *t, Py_ssize_t *a, Py_ssize_t *b)
{
    while (*a < *b && Py_UNICODE_ISSPACE(CH(t, *a)))
        (*a)++;
    while (*b > *a && Py_UNICODE_ISSPACE(CH(t, *b - 1)))
        (*b)--;
}

static inline int
all_digits(const Text *t, Py_ssize_t a, Py_ssize_t b)
{
    if (a >= b)
        return 0;
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = CH(t, i);
        if (c < '0' || c > '9')
            return 0;
    }
    return 1;
}

static inline long
number(const Text *t, Py_ssize_t a, Py_ssize_t b)
{
    long v = 0;
    for (Py_ssize_t i = a; i < b; i++)
        v = v * 10 + (long)(CH(t, i) - '0');
    return v;
}

static inline PyObject *
sub(const Text *t, Py_ssize_t a, Py_ssize_t b)
{
    return PyUnicode_Substring(t->obj, a, b);
}

/* items.c: the CP items */
typedef struct {
    int strict;
    PyObject *code_map;  /* borrowed */
    PyObject *items;     /* owned */
    PyObject *cp;        /* owned */
    PyObject *original;  /* owned or NULL */
    PyObject *last;      /* owned or NULL: the code as sent of the previous item */
    PyObject *values;    /* borrowed from items: the suffixes of the previous item */
} Cp;

int hj_parse_cp(Cp *s, const Text *t, Py_ssize_t a, Py_ssize_t b, int spaced);

/* segment.c: the data segment (it alone uses the datetime C API: PyDateTimeAPI is static) */
int hj_import_datetime(void);
PyObject *hj_parse_segment(const Text *t, int strict, Py_ssize_t length, unsigned crc,
                           int modbus, PyObject *encoding);

/* rows.c: item values as numbers */
extern PyObject *g_item_rows_pure;
PyObject *hj_item_rows(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

#endif
